// SpillFiles: the temporary files blocking stages write when they go over their memory limit
// with `allowDiskUse` — BSON documents appended one after another (each starts with its
// length), read back in order from any byte range. A file is unlinked when it is dropped.
// Each file draws on the process's SpillBudget: a slot while open, its bytes as written.
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif
internal import BSON
internal import Documents

/// A temporary file of BSON documents under the store's `_tmp` directory.
///
/// Written front to back (`append`), then read through `SpillReader`s over byte ranges.
/// The file is removed when the object goes away, whether the stage finished or failed.
final class SpillFile {
    /// Where spill files go inside a data directory (MongoDB's name for it).
    static let directoryName = "_tmp"

    let path: String
    private let descriptor: Int32
    private var pending: [UInt8] = []
    /// Bytes written so far (including those still buffered), all reserved in ``budget``.
    private(set) var size = 0
    /// The allowance this file's slot and bytes come from.
    private let budget: SpillBudget
    /// Documents written so far.
    private(set) var count = 0

    /// Appended bytes held before they are written.
    private let bufferSize: Int

    /// Creates an empty spill file in `<dataDirectory>/_tmp` that writes every `bufferSize` bytes.
    ///
    /// - Throws: `OutOfDiskSpace` (14031) when `budget` has no file slot left.
    init(dataDirectory: String, bufferSize: Int = 64 * 1024, budget: SpillBudget = .process) throws(MongoError) {
        self.bufferSize = bufferSize
        self.budget = budget
        let directory = dataDirectory + "/" + Self.directoryName
        if mkdir(directory, 0o700) != 0 && errno != EEXIST {
            throw Self.failure("could not create the spill directory \(directory)")
        }
        try budget.openFile()
        var template = Array((directory + "/spill-XXXXXX").utf8CString)
        let opened = template.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress.map { mkstemp($0) } ?? -1
        }
        guard opened >= 0 else {
            let failure = Self.failure("could not create a spill file in \(directory)")
            budget.closeFile(releasing: 0)
            throw failure
        }
        descriptor = opened
        path = String(decoding: template.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    deinit {
        close(descriptor)
        unlink(path)
        budget.closeFile(releasing: size)
    }

    /// Appends one document; returns the bytes it takes in the file.
    @discardableResult
    func append(_ document: BSONDocument) throws(MongoError) -> Int {
        let bytes: [UInt8]
        do {
            bytes = try document.bsonBytes()
        } catch {
            throw MongoError(.internalError, "could not encode a document to spill: \(error)")
        }
        try budget.reserve(bytes.count)
        pending.append(contentsOf: bytes)
        size += bytes.count
        count += 1
        if pending.count >= bufferSize { try flush() }
        return bytes.count
    }

    /// Writes buffered bytes to the file; call before reading what was appended.
    func flush() throws(MongoError) {
        var offset = 0
        while offset < pending.count {
            let written = pending.withUnsafeBytes { raw in
                write(descriptor, raw.baseAddress.map { $0 + offset }, raw.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw Self.failure("could not write the spill file \(path)")
            }
            offset += written
        }
        pending.removeAll(keepingCapacity: true)
    }

    /// Reads up to `count` bytes at `offset` into `buffer` (replacing its contents).
    fileprivate func read(into buffer: inout [UInt8], at offset: Int, count: Int) throws(MongoError) {
        buffer = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got = buffer.withUnsafeMutableBytes { raw in
                pread(descriptor, raw.baseAddress.map { $0 + filled }, count - filled, off_t(offset + filled))
            }
            if got < 0 {
                if errno == EINTR { continue }
                throw Self.failure("could not read the spill file \(path)")
            }
            if got == 0 { break }
            filled += got
        }
        buffer.removeLast(count - filled)
    }

    private static func failure(_ what: String) -> MongoError {
        MongoError(.internalError, "\(what): \(String(cString: strerror(errno)))")
    }
}

/// Reads the documents of one byte range of a spill file, `chunkSize` bytes at a time.
struct SpillReader {
    let file: SpillFile
    private var position: Int
    private let end: Int
    private let chunkSize: Int
    private var buffer: [UInt8] = []
    private var cursor = 0

    /// A reader of `range` (byte offsets) in `file`.
    init(_ file: SpillFile, range: Range<Int>, chunkSize: Int) {
        self.file = file
        position = range.lowerBound
        end = range.upperBound
        self.chunkSize = chunkSize
    }

    /// The next document, or nil at the end of the range.
    mutating func next() throws(MongoError) -> BSONDocument? {
        guard position < end else { return nil }
        try ensure(4)
        let lengthBytes = buffer[cursor..<cursor + 4]
        var length = 0
        for (shift, byte) in lengthBytes.enumerated() { length |= Int(byte) << (8 * shift) }
        guard length >= 5, position + length <= end else {
            throw MongoError(.internalError, "corrupt spill file \(file.path) at offset \(position)")
        }
        try ensure(length)
        let bytes = Array(buffer[cursor..<cursor + length])
        cursor += length
        position += length
        do {
            return try BSONDocument(bsonBytes: bytes)
        } catch {
            throw MongoError(.internalError, "corrupt spill file \(file.path): \(error)")
        }
    }

    /// Makes `needed` bytes from `position` available at `cursor`.
    private mutating func ensure(_ needed: Int) throws(MongoError) {
        if buffer.count - cursor >= needed { return }
        let wanted = min(max(chunkSize, needed), end - position)
        try file.read(into: &buffer, at: position, count: wanted)
        cursor = 0
        guard buffer.count >= needed else {
            throw MongoError(.internalError, "truncated spill file \(file.path) at offset \(position)")
        }
    }
}

/// What the blocking stages of one aggregation wrote to disk.
struct SpillStatistics {
    /// How many times a stage went over its limit and wrote to disk (sorted runs, partitions).
    var spills = 0
    /// Documents written to spill files.
    var spilledRecords = 0
    /// Bytes written to spill files.
    var spilledBytes = 0

    static func += (lhs: inout SpillStatistics, rhs: SpillStatistics) {
        lhs.spills += rhs.spills
        lhs.spilledRecords += rhs.spilledRecords
        lhs.spilledBytes += rhs.spilledBytes
    }
}
