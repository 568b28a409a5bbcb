// ProcessProbe: what the server costs while a workload runs — CPU seconds of its processes
// (a PostgreSQL postmaster counts with its backends) from /proc/<pid>/stat, memory as the
// sum of their proportional set sizes (Pss, so shared buffers count once), and the size of
// a data directory. Linux only; elsewhere the figures are absent.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Readings of a set of server processes.
struct ProcessProbe: Sendable {
    /// The processes named, plus their children (PostgreSQL's backends).
    let roots: [Int32]

    /// The roots and every process whose parent is a root.
    func processes() -> [Int32] {
        guard !roots.isEmpty else { return [] }
        var found = roots
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let pid = Int32(entry), !roots.contains(pid), let stat = Self.stat(pid), stat.count > 1,
                  let parent = Int32(stat[1]) else { continue }
            if roots.contains(parent) { found.append(pid) }
        }
        return found
    }

    /// CPU seconds (user + system) per process. A root's figure includes its children that
    /// have exited (cutime, cstime): PostgreSQL's parallel workers live for one query.
    func cpuSeconds() -> [Int32: Double] {
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        var result: [Int32: Double] = [:]
        for pid in processes() {
            // After the command name: state is field 3, utime 14, stime 15, cutime 16 and
            // cstime 17 (1-based).
            guard let fields = Self.stat(pid), fields.count > 14,
                  let user = Double(fields[11]), let system = Double(fields[12]),
                  let childUser = Double(fields[13]), let childSystem = Double(fields[14]) else { continue }
            let reaped = roots.contains(pid) ? childUser + childSystem : 0
            result[pid] = (user + system + reaped) / ticks
        }
        return result
    }

    /// The summed Pss of the processes, in bytes.
    func proportionalSetSize() -> UInt64 {
        var total: UInt64 = 0
        for pid in processes() {
            guard let text = try? String(contentsOfFile: "/proc/\(pid)/smaps_rollup", encoding: .utf8) else { continue }
            for line in text.split(separator: "\n") where line.hasPrefix("Pss:") {
                let number = line.split(separator: " ").dropFirst().first.flatMap { UInt64($0) } ?? 0
                total += number * 1_024
            }
        }
        return total
    }

    /// The fields of /proc/<pid>/stat after the parenthesised command name (state first).
    static func stat(_ pid: Int32) -> [Substring]? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        return text[text.index(after: close)...].split(separator: " ")
    }

    /// The bytes of the regular files under `path`.
    static func directorySize(_ path: String) -> UInt64 {
        guard let walker = FileManager.default.enumerator(atPath: path) else { return 0 }
        var total: UInt64 = 0
        while let entry = walker.nextObject() as? String {
            let attributes = try? FileManager.default.attributesOfItem(atPath: path + "/" + entry)
            if attributes?[.type] as? FileAttributeType == .typeRegular {
                total += (attributes?[.size] as? NSNumber)?.uint64Value ?? 0
            }
        }
        return total
    }
}
