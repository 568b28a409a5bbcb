// SystemInfo: facts about this process and host for serverStatus and hostInfo (pid, host
// name, resident and virtual memory from /proc/self/status, cores, memory size), read with
// libc so the layer needs no Foundation.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Process and host facts.
enum SystemInfo {
    /// This process's id.
    static var processID: Int64 { Int64(getpid()) }

    /// The host's name.
    static var hostName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Online processor count.
    static var coreCount: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    /// Physical memory in MiB.
    static var memorySizeMiB: Int64 {
        let pages = Int64(sysconf(Int32(_SC_PHYS_PAGES)))
        let pageSize = Int64(sysconf(Int32(_SC_PAGESIZE)))
        return max(0, pages * pageSize / (1024 * 1024))
    }

    /// Resident and virtual memory of this process in MiB (`VmRSS`, `VmSize`), zero when
    /// /proc is not available.
    static func memoryMiB() -> (resident: Int64, virtual: Int64) {
        guard let status = readFile("/proc/self/status") else { return (0, 0) }
        var resident: Int64 = 0
        var virtual: Int64 = 0
        for line in status.split(separator: "\n") {
            if line.hasPrefix("VmRSS:") { resident = kibibytes(line) / 1024 }
            if line.hasPrefix("VmSize:") { virtual = kibibytes(line) / 1024 }
        }
        return (resident, virtual)
    }

    /// The kernel's name and release (`uname`).
    static var operatingSystem: (name: String, release: String, machine: String) {
        var info = utsname()
        guard uname(&info) == 0 else { return ("unknown", "unknown", "unknown") }
        func string<T>(_ field: T) -> String {
            withUnsafeBytes(of: field) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
        }
        return (string(info.sysname), string(info.release), string(info.machine))
    }

    private static func kibibytes(_ line: Substring) -> Int64 {
        line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap { Int64($0) } ?? 0
    }

    private static func readFile(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count <= 0 { break }
            bytes += buffer[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
