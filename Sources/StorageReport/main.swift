// Placeholder: the storage figures report (make bench-storage) is being written.
print("storage report: not yet written")
