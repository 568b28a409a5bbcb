// ReportSupport: helpers shared by the report programs (make bench-storage, bench-query,
// bench-aggregation): plain number formatting, timing in nanoseconds, the machine header,
// the --scale/--only options and a scratch directory under $TMPDIR that is removed
// afterwards. POSIX calls only; no Foundation. (The seeded generator is BenchSupport's.)
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Plain number formatting (no Foundation).
public enum Format {
    /// `value` with exactly `digits` decimals, e.g. `fixed(3.14159, 2)` is "3.14".
    public static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return "\(value)" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9.0e18 else { return "\(value)" }
        let whole = UInt64(scaled)
        let divisor = UInt64(scale)
        let sign = value < 0 && whole != 0 ? "-" : ""
        guard digits > 0 else { return sign + String(whole) }
        var fraction = String(whole % divisor)
        while fraction.count < digits { fraction = "0" + fraction }
        return sign + String(whole / divisor) + "." + fraction
    }

    /// A byte count with its MiB equivalent, e.g. "104857600 (100.00 MiB)".
    public static func bytes(_ count: UInt64) -> String {
        "\(count) (\(fixed(Double(count) / 1_048_576, 2)) MiB)"
    }
}

extension Duration {
    /// The duration in nanoseconds, as a Double.
    public var nanoseconds: Double {
        let parts = components
        return Double(parts.seconds) * 1e9 + Double(parts.attoseconds) / 1e9
    }

    /// The duration in seconds, as a Double.
    public var seconds: Double { nanoseconds / 1e9 }
}

/// The machine and process the report runs on.
public enum Machine {
    /// Online processor count from sysconf.
    public static var cores: Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }

    /// CPU seconds this process has used so far, on every thread (RocksDB's background
    /// flushes and compactions included). Unlike wall time it does not count time spent
    /// waiting while other processes use the cores.
    public static var processCPUSeconds: Double {
        var spec = timespec()
        guard clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &spec) == 0 else { return 0 }
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    /// The host name, or "unknown".
    public static var hostname: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "unknown" }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The current UTC time as "YYYY-MM-DD HH:MM:SS UTC".
    public static var utcDate: String {
        var now = time(nil)
        var parts = tm()
        guard gmtime_r(&now, &parts) != nil else { return "unknown date" }
        var buffer = [CChar](repeating: 0, count: 64)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%d %H:%M:%S UTC", &parts)
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// A report step that could not run.
public struct ReportFailure: Error, CustomStringConvertible {
    /// What went wrong.
    public let description: String

    /// A failure described by `description`.
    public init(description: String) {
        self.description = description
    }
}

/// A fresh directory under `$TMPDIR` (or /tmp), removed with everything in it by `remove()`.
public struct ScratchDirectory {
    /// The directory's path.
    public let path: String

    /// Creates `$TMPDIR/<prefix>-XXXXXX` (mkdtemp).
    public init(prefix: String) throws {
        var base = "/tmp"
        if let raw = getenv("TMPDIR") {
            let value = String(cString: raw)
            if !value.isEmpty { base = value.hasSuffix("/") ? String(value.dropLast()) : value }
        }
        var template = Array((base + "/" + prefix + "-XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress.flatMap { mkdtemp($0) } != nil
        }
        guard made else { throw ReportFailure(description: "mkdtemp under \(base) failed (errno \(errno))") }
        path = String(decoding: template.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Deletes the directory tree; symbolic links are removed, not followed.
    public func remove() {
        ScratchDirectory.removeTree(path)
    }

    private static func removeTree(_ path: String) {
        if let directory = opendir(path) {
            var children: [String] = []
            while let entry = readdir(directory) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
                }
                if name != "." && name != ".." { children.append(path + "/" + name) }
            }
            closedir(directory)
            for child in children {
                var info = stat()
                guard lstat(child, &info) == 0 else { continue }
                if info.st_mode & S_IFMT == S_IFDIR {
                    removeTree(child)
                } else {
                    unlink(child)
                }
            }
        }
        rmdir(path)
    }
}

/// The options every report program takes: `--scale F` (or the environment's `REPORT_SCALE=F`)
/// multiplies document and operation counts by F (e.g. 0.1 for a quick run); `--only NAME`
/// runs one section.
public struct ReportOptions: Sendable {
    /// The count multiplier (1.0 by default).
    public let scale: Double
    /// The one section to run, or `nil` for all.
    public let only: String?

    /// Reads `--scale` and `--only` from `arguments` (the process's by default); without
    /// `--scale`, the scale is `REPORT_SCALE`'s when set.
    public init(arguments: [String] = CommandLine.arguments) {
        var scale = 1.0
        if let position = arguments.firstIndex(of: "--scale"), position + 1 < arguments.count,
           let value = Double(arguments[position + 1]), value > 0 {
            scale = value
        } else if let raw = getenv("REPORT_SCALE"), let value = Double(String(cString: raw)), value > 0 {
            scale = value
        }
        self.scale = scale
        only = arguments.firstIndex(of: "--only").flatMap { position in
            position + 1 < arguments.count ? arguments[position + 1] : nil
        }
    }

    /// Whether section `name` runs.
    public func runs(_ name: String) -> Bool { only == nil || only == name }

    /// `count` scaled, at least 1.
    public func scaled(_ count: Int) -> Int { max(1, Int(Double(count) * scale)) }
}
