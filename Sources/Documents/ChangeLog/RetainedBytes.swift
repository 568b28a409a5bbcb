// RetainedBytes: a running account of how many bytes the change log keeps, in chunks of
// consecutive entries, so byte-limited retention trims from the oldest end without
// rereading the log. Built once by scanning at open; updated inside the commit section.

/// The change log's size, as consecutive chunks of entries with their byte totals.
///
/// A byte-limited trim drops whole chunks from the front until the rest fits, so it costs
/// O(chunks dropped) instead of a scan of everything retained.
struct RetainedBytes: Sendable {
    /// A run of consecutive entries starting at `first`.
    struct Chunk: Sendable, Equatable {
        var first: UInt64
        var entries: Int
        var bytes: Int
    }

    /// A chunk stops growing at this many bytes: the granularity of byte-limited trimming.
    let bytesPerChunk: Int
    private(set) var chunks: [Chunk] = []
    /// Index of the oldest live chunk; earlier slots are dropped lazily.
    private var head = 0
    /// The sum of `bytes` over live chunks.
    private(set) var totalBytes = 0

    /// An empty account whose trims are accurate to about 1/64 of `maximumBytes`.
    init(maximumBytes: Int) {
        bytesPerChunk = max(1, maximumBytes / 64)
    }

    /// Live chunks, oldest first.
    var liveChunks: ArraySlice<Chunk> { chunks[head...] }

    /// Accounts for entries `first ..< first + count` totalling `bytes`.
    mutating func append(first: UInt64, count: Int, bytes: Int) {
        guard count > 0 else { return }
        totalBytes += bytes
        if head < chunks.count, var last = chunks.last, last.bytes < bytesPerChunk,
           last.first + UInt64(last.entries) == first {
            last.entries += count
            last.bytes += bytes
            chunks[chunks.count - 1] = last
        } else {
            chunks.append(Chunk(first: first, entries: count, bytes: bytes))
        }
    }

    /// The first sequence number to keep so that at most `maximumBytes` remain, keeping at
    /// least the newest chunk; `nil` when nothing needs to go.
    func cutoff(forMaximumBytes maximumBytes: Int) -> UInt64? {
        var total = totalBytes
        var index = head
        while total > maximumBytes, index + 1 < chunks.count {
            total -= chunks[index].bytes
            index += 1
        }
        return index == head ? nil : chunks[index].first
    }

    /// Forgets entries below `cutoff`; a chunk cut in the middle keeps a proportional share
    /// of its bytes.
    mutating func removeEntries(below cutoff: UInt64) {
        while head < chunks.count {
            let chunk = chunks[head]
            let end = chunk.first + UInt64(chunk.entries)
            if end <= cutoff {
                totalBytes -= chunk.bytes
                head += 1
                continue
            }
            if chunk.first < cutoff {
                let kept = Int(end - cutoff)
                let keptBytes = chunk.bytes * kept / max(chunk.entries, 1)
                totalBytes -= chunk.bytes - keptBytes
                chunks[head] = Chunk(first: cutoff, entries: kept, bytes: keptBytes)
            }
            break
        }
        if head > 64, head * 2 > chunks.count {
            chunks.removeFirst(head)
            head = 0
        }
    }
}
