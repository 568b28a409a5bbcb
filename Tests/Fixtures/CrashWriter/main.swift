// CrashWriter: the child process of the crash-safety test (CrashSafetyTests). Inserts documents
// `doc-<n>` from a start index with journaled writes and prints `ack <id>` after each insert
// returns, until killed. Usage: CrashWriter <dbpath> <startIndex>.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import BSON
import Documents

/// Writes `text` to file descriptor `fd` unbuffered, so nothing is lost when SIGKILL arrives.
func emit(_ text: String, to fd: Int32) {
    var bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeMutableBytes { buffer in
            write(fd, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
        }
        if written <= 0 { return }
        offset += written
    }
    bytes.removeAll()
}

/// The payload of document `n`: its length and characters follow from `n` alone (the test
/// recomputes them to verify content).
func payload(for n: Int) -> String {
    let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    let length = 100 + (n &* 7919) % 1901
    var text = ""
    text.reserveCapacity(length)
    for index in 0 ..< length { text.append(alphabet[(n &* 31 &+ index &* 17) % alphabet.count]) }
    return text
}

/// Document `n`; a few shapes, chosen by `n`.
func document(for n: Int) -> BSONDocument {
    let tags: [BSONValue] = (0 ..< n % 4).map { .string("tag-\($0)") }
    var nested: BSONDocument = ["a": .int64(Int64(n)), "tags": .array(tags)]
    if n % 5 == 0 { nested.append("even", .bool(n % 2 == 0)) }
    var document: BSONDocument = [
        "_id": .string("doc-\(n)"), "n": .int64(Int64(n)), "payload": .string(payload(for: n)), "nested": .document(nested),
    ]
    if n % 3 == 0 { document.append("flag", .bool(true)) }
    return document
}

let arguments = CommandLine.arguments
guard arguments.count == 3, let start = Int(arguments[2]) else {
    emit("usage: CrashWriter <dbpath> <startIndex>\n", to: 2)
    exit(2)
}
/// Inserts documents from `start` on, acknowledging each on stdout; returns only on failure.
func run(path: String, start: Int) throws(MongoError) {
    let store: DocumentStore
    do {
        store = try DocumentStore(path: path)
    } catch {
        throw MongoError(.internalError, "open failed: \(error)")
    }
    let collection = try store.collection("events", in: "crash")
    var n = start
    while true {
        do {
            try collection.insert(document(for: n), writeConcern: .journaled)
            emit("ack doc-\(n)\n", to: 1)
        } catch {
            // A duplicate was written by an earlier run just before it was killed, never
            // acknowledged: skip it. Anything else is fatal.
            if error.code != .duplicateKey { throw error }
        }
        n += 1
    }
}

do {
    try run(path: arguments[1], start: start)
} catch {
    emit("CrashWriter failed: \(error)\n", to: 2)
    exit(1)
}
