// ProcessMemory: this process's resident memory from /proc/self/status (VmRSS, and VmHWM,
// its high-water mark), and resetting the high-water mark through /proc/self/clear_refs so
// each measured run gets its own peak (after returning the allocator's free memory to the
// system). Linux only; elsewhere the figures are 0.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct ProcessMemory {
    /// Resident set size now, in bytes.
    let residentBytes: Int
    /// The most resident memory since the process started or the mark was last reset, in bytes.
    let peakResidentBytes: Int

    /// The current figures.
    static func current() -> ProcessMemory {
        var resident = 0
        var peak = 0
        for line in readFile("/proc/self/status").split(separator: "\n") {
            if line.hasPrefix("VmRSS:") { resident = kilobytes(line) * 1024 }
            if line.hasPrefix("VmHWM:") { peak = kilobytes(line) * 1024 }
        }
        return ProcessMemory(residentBytes: resident, peakResidentBytes: peak)
    }

    /// Hands the allocator's free memory back to the system (glibc's malloc_trim), then
    /// starts a new high-water mark at the current resident size (writes 5 to clear_refs),
    /// so the next run's peak shows what it needed rather than what earlier work left mapped.
    /// False where the kernel does not allow it.
    @discardableResult
    static func resetPeak() -> Bool {
        #if canImport(Glibc)
        // malloc.h is not part of the Glibc module: look the function up.
        if let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "malloc_trim") {
            typealias MallocTrim = @convention(c) (Int) -> Int32
            _ = unsafeBitCast(symbol, to: MallocTrim.self)(0)
        }
        #endif
        let descriptor = open("/proc/self/clear_refs", O_WRONLY)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        let written = write(descriptor, "5", 1)
        return written == 1
    }

    private static func kilobytes(_ line: Substring) -> Int {
        Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
    }

    private static func readFile(_ path: String) -> String {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return "" }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            bytes.append(contentsOf: chunk.prefix(count))
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
