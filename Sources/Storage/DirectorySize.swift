// DirectorySize: measures how many bytes a directory tree occupies, for disk usage reports
// (e.g. showing that dropping a key space released its files). Read-only; uses POSIX
// calls directly so the Storage layer does not pull in Foundation.
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Sums the sizes of regular files under a directory.
enum DirectorySize {
    /// Total bytes of the regular files under `path`, recursively; symbolic links are not followed.
    static func bytes(under path: String) throws(StorageError) -> UInt64 {
        guard let directory = opendir(path) else {
            throw StorageError(.diskUsage, path: path, status: "opendir: \(String(cString: strerror(errno)))",
                               code: .ioError)
        }
        defer { closedir(directory) }
        var total: UInt64 = 0
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            let child = path.hasSuffix("/") ? path + name : path + "/" + name
            var info = stat()
            guard lstat(child, &info) == 0 else { continue }  // removed while we walked
            switch info.st_mode & S_IFMT {
            case S_IFREG: total += UInt64(max(info.st_size, 0))
            case S_IFDIR: total += try bytes(under: child)
            default: break
            }
        }
        return total
    }
}
