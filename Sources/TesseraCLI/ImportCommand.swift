// `tessera import` and `tessera export`, as mongoimport and mongoexport: JSON lines (or one
// JSON array), CSV and TSV in; JSON lines (relaxed Extended JSON v2) and CSV out. Import sends
// unordered batches (insert, or update with upsert for --mode upsert|merge), reports each bad
// line by number and, unless --stop-on-error, goes on; it exits non-zero when any line was
// rejected. ImportProgress: a refreshing bar on a terminal, a plain line every 10,000 documents otherwise.

import ArgumentParser
import BSON
import BenchKit
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes one line to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// The file formats import reads.
enum ImportType: String, ExpressibleByArgument, CaseIterable {
    case json, csv, tsv
}

/// How imported documents meet existing ones.
enum ImportMode: String, ExpressibleByArgument, CaseIterable {
    /// Insert; a duplicate `_id` is a rejected line.
    case insert
    /// Replace the document matching the upsert fields, or insert.
    case upsert
    /// Set the imported fields on the document matching the upsert fields, or insert.
    case merge
}

/// `tessera import`.
struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import JSON lines, a JSON array, CSV or TSV into a collection (as mongoimport).")

    @OptionGroup var connection: ToolConnectionOptions
    @Option(name: .long, help: "The database.") var db: String
    @Option(name: .long, help: "The collection.") var collection: String
    @Option(name: .long, help: "The input file.") var file: String
    @Option(name: .long, help: "json, csv or tsv.") var type: ImportType = .json
    @Flag(name: .long, help: "The JSON file is one array of documents.") var jsonArray = false
    @Flag(name: .long, help: "CSV/TSV: the first line names the fields.") var headerline = false
    @Option(name: .long, help: "CSV/TSV: the field names, comma-separated (a.b makes a nested field).") var fields: String?
    @Flag(name: .long, help: "Drop the collection first.") var drop = false
    @Option(name: .long, help: "insert, upsert (replace) or merge ($set).") var mode: ImportMode = .insert
    @Option(name: .long, help: "Upsert/merge: the fields that identify a document (default _id).") var upsertFields: String?
    @Flag(name: .customLong("stop-on-error"), help: "Stop at the first rejected line.") var stopOnError = false

    func validate() throws {
        if type != .json && !headerline && fields == nil { throw ValidationError("CSV and TSV need --headerline or --fields") }
        if jsonArray && type != .json { throw ValidationError("--jsonArray is for --type json") }
    }

    func run() throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
        let client = try connection.connect()
        defer { client.close() }
        if drop { _ = try client.uncheckedCommand(["drop": .string(collection)], database: db, documents: nil) }
        var sink = ImportSink(client: client, database: db, collection: collection, mode: mode,
                              upsertFields: upsertFields.map { $0.split(separator: ",").map(String.init) } ?? ["_id"],
                              stopOnError: stopOnError,
                              progress: ImportProgress(label: "\(db).\(collection)", totalBytes: bytes.count))
        do {
            switch type {
            case .json where jsonArray: try sink.readJSONArray(bytes)
            case .json: try sink.readJSONLines(bytes)
            case .csv, .tsv:
                try sink.readDelimited(bytes, separator: type == .csv ? UInt8(ascii: ",") : UInt8(ascii: "\t"),
                                       fields: fields.map { $0.split(separator: ",").map(String.init) })
            }
            try sink.flush()
        } catch is StopImport {
            // The lines before the rejected one still go in, as mongoimport's do.
            try? sink.flush()
        }
        sink.progress.finish()
        printError("\(sink.imported) document(s) imported successfully. \(sink.rejected) document(s) failed to import.")
        if sink.rejected > 0 { throw ExitCode(1) }
    }
}

/// Thrown to end an import at the first rejected line under --stop-on-error.
private struct StopImport: Error {}

/// Parses input into documents and sends them in batches, counting what went in and what not.
private struct ImportSink {
    let client: WireConnection
    let database: String
    let collection: String
    let mode: ImportMode
    let upsertFields: [String]
    let stopOnError: Bool
    var progress: ImportProgress
    private(set) var imported = 0
    private(set) var rejected = 0
    /// The waiting documents and the line each came from.
    private var batch: [(line: Int, document: BSONDocument)] = []
    private var batchBytes = 0

    init(client: WireConnection, database: String, collection: String, mode: ImportMode, upsertFields: [String],
         stopOnError: Bool, progress: ImportProgress) {
        self.client = client
        self.database = database
        self.collection = collection
        self.mode = mode
        self.upsertFields = upsertFields
        self.stopOnError = stopOnError
        self.progress = progress
    }

    /// Counts and reports a rejected line; stops under --stop-on-error.
    mutating func reject(line: Int, _ reason: String) throws {
        rejected += 1
        progress.interrupt()
        printError("line \(line): \(reason)")
        if stopOnError { throw StopImport() }
    }

    mutating func add(_ document: BSONDocument, line: Int, bytes: Int) throws {
        batch.append((line, document))
        batchBytes += bytes
        if batch.count >= 1000 || batchBytes >= 8 << 20 { try flush() }
    }

    /// Sends the waiting batch.
    mutating func flush() throws {
        guard !batch.isEmpty else { return }
        let sent = batch
        batch = []
        let bytes = batchBytes
        batchBytes = 0
        let reply: BSONDocument
        if mode == .insert {
            reply = try client.uncheckedCommand(["insert": .string(collection), "ordered": .bool(stopOnError)],
                                                database: database, documents: sent.map(\.document))
        } else {
            let updates: [BSONDocument] = sent.map { entry in
                var filter = BSONDocument()
                for field in upsertFields { filter.append(field, entry.document[field] ?? .null) }
                let update: BSONValue = mode == .upsert ? .document(entry.document) : .document(["$set": .document(entry.document)])
                return ["q": .document(filter), "u": update, "upsert": .bool(true)]
            }
            reply = try client.uncheckedCommand(["update": .string(collection), "ordered": .bool(stopOnError),
                                                 "updates": .array(updates.map { .document($0) })],
                                                database: database, documents: nil)
        }
        guard reply["ok"]?.doubleValue == 1 else {
            throw ToolFailure("\(mode.rawValue) into \(database).\(collection) failed: \(reply["errmsg"]?.stringValue ?? "?")")
        }
        var failed = 0
        if case .array(let errors)? = reply["writeErrors"] {
            for case .document(let error) in errors {
                failed += 1
                let index = error["index"]?.int64Value.flatMap { Int(exactly: $0) } ?? -1
                let line = sent.indices.contains(index) ? sent[index].line : 0
                rejected += 1
                progress.interrupt()
                printError("line \(line): \(error["errmsg"]?.stringValue ?? "write error")")
            }
        }
        imported += sent.count - failed
        progress.advance(documents: sent.count - failed, bytes: bytes)
        if failed > 0 && stopOnError { throw StopImport() }
    }

    /// One Extended JSON document per line; blank lines are skipped.
    mutating func readJSONLines(_ bytes: [UInt8]) throws {
        var number = 0
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            number += 1
            let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty else { continue }
            do {
                try add(try BSONDocument(extendedJSON: text), line: number, bytes: line.count + 1)
            } catch let error as BSONError {
                try reject(line: number, "\(error)")
            }
        }
    }

    /// One JSON array of documents.
    mutating func readJSONArray(_ bytes: [UInt8]) throws {
        let value: BSONValue
        do {
            value = try BSONValue(extendedJSON: String(decoding: bytes, as: UTF8.self))
        } catch {
            throw ToolFailure("\(error)")
        }
        guard case .array(let elements) = value else { throw ToolFailure("--jsonArray: the file is not a JSON array") }
        for (index, element) in elements.enumerated() {
            guard case .document(let document) = element else {
                try reject(line: index + 1, "array element \(index) is not a document")
                continue
            }
            try add(document, line: index + 1, bytes: bytes.count / max(elements.count, 1))
        }
    }

    /// CSV (RFC 4180 quoting) or TSV records; numbers become int32, int64 or double, the rest strings.
    mutating func readDelimited(_ bytes: [UInt8], separator: UInt8, fields given: [String]?) throws {
        var fields = given
        var reader = DelimitedReader(bytes: bytes, separator: separator)
        while let record = reader.next() {
            guard let names = fields else {
                fields = record.values
                continue
            }
            if record.values.count == 1 && record.values[0].isEmpty { continue }
            if let problem = record.problem {
                try reject(line: record.line, problem)
                continue
            }
            guard record.values.count <= names.count else {
                try reject(line: record.line, "\(record.values.count) fields, the header names \(names.count)")
                continue
            }
            var document = BSONDocument()
            for (name, text) in zip(names, record.values) {
                document.setImportPath(name.split(separator: ".").map(String.init)[...], Self.typed(text))
            }
            try add(document, line: record.line, bytes: record.bytes)
        }
    }

    /// A CSV field's value: a number when it reads as one, else the text.
    static func typed(_ text: String) -> BSONValue {
        if let value = Int64(text) {
            if let small = Int32(exactly: value) { return .int32(small) }
            return .int64(value)
        }
        if !text.isEmpty, text.first != "+", let value = Double(text), value.isFinite, text.allSatisfy({ "0123456789.eE-+".contains($0) }) {
            return .double(value)
        }
        return .string(text)
    }
}

extension BSONDocument {
    /// Sets `path` (dotted components), creating embedded documents on the way.
    fileprivate mutating func setImportPath(_ path: ArraySlice<String>, _ value: BSONValue) {
        guard let first = path.first else { return }
        if path.count == 1 {
            self[first] = value
            return
        }
        var child = self[first]?.documentValue ?? [:]
        child.setImportPath(path.dropFirst(), value)
        self[first] = .document(child)
    }
}

/// One CSV/TSV record: its fields, the line it starts on, its size, and why it is malformed.
private struct DelimitedRecord {
    var values: [String] = []
    var line: Int
    var bytes = 0
    var problem: String?
}

/// Splits CSV/TSV text into records; quoted fields may hold separators, quotes ("") and newlines.
private struct DelimitedReader {
    let bytes: [UInt8]
    let separator: UInt8
    private var position = 0
    private var line = 1

    init(bytes: [UInt8], separator: UInt8) {
        self.bytes = bytes
        self.separator = separator
    }

    mutating func next() -> DelimitedRecord? {
        guard position < bytes.count else { return nil }
        let start = position
        var record = DelimitedRecord(line: line)
        var field: [UInt8] = []
        var quoted = false
        var wasQuoted = false
        let quote = UInt8(ascii: "\"")
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            if quoted {
                if byte == quote {
                    if position < bytes.count && bytes[position] == quote {
                        field.append(quote)
                        position += 1
                    } else {
                        quoted = false
                    }
                } else {
                    if byte == UInt8(ascii: "\n") { line += 1 }
                    field.append(byte)
                }
                continue
            }
            switch byte {
            case quote where field.isEmpty && !wasQuoted && separator == UInt8(ascii: ","):
                quoted = true
                wasQuoted = true
            case quote where separator == UInt8(ascii: ","):
                record.problem = record.problem ?? "a bare \" in field \(record.values.count + 1)"
            case separator:
                record.values.append(String(decoding: field, as: UTF8.self))
                field = []
                wasQuoted = false
            case UInt8(ascii: "\n"):
                line += 1
                return finish(&record, field, start)
            case UInt8(ascii: "\r") where position < bytes.count && bytes[position] == UInt8(ascii: "\n"):
                continue
            default:
                if wasQuoted { record.problem = record.problem ?? "text after the closing quote of field \(record.values.count + 1)" }
                field.append(byte)
            }
        }
        if quoted { record.problem = "a quoted field is not closed" }
        return finish(&record, field, start)
    }

    private func finish(_ record: inout DelimitedRecord, _ field: [UInt8], _ start: Int) -> DelimitedRecord {
        record.values.append(String(decoding: field, as: UTF8.self))
        record.bytes = position - start
        return record
    }
}

/// Import progress on standard error: a bar redrawn in place on a terminal, else a plain line
/// every 10,000 documents.
struct ImportProgress {
    let label: String
    let totalBytes: Int
    private let terminal = isatty(STDERR_FILENO) == 1
    private let started = Date()
    private var documents = 0
    private var bytes = 0
    private var lastReported = 0
    private var lastDrawn = Date.distantPast

    init(label: String, totalBytes: Int) {
        self.label = label
        self.totalBytes = totalBytes
    }

    mutating func advance(documents added: Int, bytes read: Int) {
        documents += added
        bytes += read
        if terminal {
            guard Date().timeIntervalSince(lastDrawn) >= 0.2 else { return }
            lastDrawn = Date()
            FileHandle.standardError.write(Data(("\r" + bar()).utf8))
        } else if documents - lastReported >= 10_000 {
            lastReported = documents - documents % 10_000
            printError(summary())
        }
    }

    /// Ends the bar's line before another message is printed.
    mutating func interrupt() {
        if terminal && lastDrawn != .distantPast {
            FileHandle.standardError.write(Data("\n".utf8))
            lastDrawn = .distantPast
        }
    }

    mutating func finish() {
        if terminal {
            FileHandle.standardError.write(Data(("\r" + bar() + "\n").utf8))
        } else {
            printError(summary())
        }
    }

    private func summary() -> String {
        let seconds = max(Date().timeIntervalSince(started), 0.001)
        let rate = Double(documents) / seconds
        return "\(label): \(documents) documents, \(Self.size(bytes))/\(Self.size(totalBytes)), \(String(format: "%.0f", rate)) docs/s"
    }

    private func bar() -> String {
        let fraction = totalBytes > 0 ? min(Double(bytes) / Double(totalBytes), 1) : 1
        let filled = Int((fraction * 24).rounded(.down))  // checked: fraction is clamped to 0...1
        let seconds = max(Date().timeIntervalSince(started), 0.001)
        let eta = fraction > 0 ? seconds / fraction - seconds : 0
        return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: 24 - filled) + "] "
            + summary() + String(format: " %.1f%%, ETA %.0fs   ", fraction * 100, eta)
    }

    private static func size(_ bytes: Int) -> String {
        bytes >= 1 << 20 ? String(format: "%.1fMB", Double(bytes) / 1_048_576) : String(format: "%.1fKB", Double(bytes) / 1024)
    }
}
