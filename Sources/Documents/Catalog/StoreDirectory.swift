// StoreDirectory: decides, before RocksDB touches anything, whether a directory is a Tessera
// store, an empty place to create one, or something to refuse. Owns the marker file
// (`TESSERA`) and its format version; only ever writes into a directory it is creating.
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// What a data directory holds, judged from its listing and marker file alone.
enum StoreDirectory {
    /// The marker file's name inside the data directory.
    static let markerName = "TESSERA"
    /// The marker file's first line.
    static let markerMagic = "tessera data directory"

    /// The verdict on a directory.
    enum State: Equatable {
        /// Missing or empty: a new store may be created there.
        case absent
        /// A Tessera store of this format version.
        case store(formatVersion: Int)
    }

    /// Inspects `path` without changing anything.
    static func inspect(_ path: String) throws(StoreOpenError) -> State {
        var info = stat()
        if stat(path, &info) != 0 {
            if errno == ENOENT { return .absent }
            throw .io(path: path, reason: "stat: \(errorText())")
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw .notATesseraStore(path: path, reason: "not a directory")
        }
        // A file-system root's lost+found does not make a mount point "in use".
        let names = try listing(path).filter { $0 != "lost+found" }
        if names.isEmpty { return .absent }
        guard names.contains(markerName) else {
            let hint = names.contains("CURRENT") ? "a RocksDB database without a Tessera marker" : "a non-empty directory"
            throw .notATesseraStore(path: path, reason: "\(hint) (no \(markerName) file)")
        }
        guard let text = readSmallFile(path + "/" + markerName) else {
            throw .notATesseraStore(path: path, reason: "unreadable \(markerName) file")
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        guard lines.count >= 2, lines[0] == markerMagic, lines[1].hasPrefix("format "),
              let version = Int(lines[1].dropFirst("format ".count)), version > 0
        else {
            throw .notATesseraStore(path: path, reason: "malformed \(markerName) file")
        }
        return .store(formatVersion: version)
    }

    /// Creates `path` if needed and writes the marker for `formatVersion`, fsyncing the file
    /// and the directory so a crash cannot leave a store without its marker.
    static func create(_ path: String, formatVersion: Int) throws(StoreOpenError) {
        if mkdir(path, 0o755) != 0, errno != EEXIST {
            throw .io(path: path, reason: "mkdir: \(errorText())")
        }
        let contents = Array("\(markerMagic)\nformat \(formatVersion)\n".utf8)
        let markerPath = path + "/" + markerName
        let descriptor = open(markerPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { throw .io(path: markerPath, reason: "open: \(errorText())") }
        let written = contents.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor)
        close(descriptor)
        guard written == contents.count, synced == 0 else {
            throw .io(path: markerPath, reason: "write: \(errorText())")
        }
        let directory = open(path, O_RDONLY)
        if directory >= 0 {
            _ = fsync(directory)
            close(directory)
        }
    }

    /// The entry names in `path`, without `.` and `..`.
    static func listing(_ path: String) throws(StoreOpenError) -> [String] {
        guard let directory = opendir(path) else {
            throw .io(path: path, reason: "opendir: \(errorText())")
        }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// The contents of a file of at most 4 KiB as UTF-8, or `nil`.
    private static func readSmallFile(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count >= 0 else { return nil }
        return String(validating: buffer.prefix(count), as: UTF8.self)
    }

    private static func errorText() -> String {
        String(cString: strerror(errno))
    }
}
