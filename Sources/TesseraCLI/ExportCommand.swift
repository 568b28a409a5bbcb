// `tessera export`, as mongoexport: a collection (or the documents --query matches, with
// --fields as the projection) to JSON lines in relaxed Extended JSON v2, or to CSV with a
// header line of --fields (dotted names reach into embedded documents).

import ArgumentParser
import BSON
import BenchKit
import Foundation

/// The file formats export writes.
enum ExportType: String, ExpressibleByArgument, CaseIterable {
    case json, csv
}

/// `tessera export`.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export a collection as JSON lines (relaxed Extended JSON) or CSV (as mongoexport).")

    @OptionGroup var connection: ToolConnectionOptions
    @Option(name: .long, help: "The database.") var db: String
    @Option(name: .long, help: "The collection.") var collection: String
    @Option(name: .long, help: "json or csv.") var type: ExportType = .json
    @Option(name: .long, help: "The fields, comma-separated (CSV needs them; for JSON a projection).") var fields: String?
    @Option(name: .long, help: "A filter, as Extended JSON.") var query: String?
    @Option(name: .long, help: "The output file (default: standard output).") var out: String?

    func validate() throws {
        if type == .csv && fields == nil { throw ValidationError("CSV export needs --fields") }
    }

    func run() throws {
        let names = fields.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } } ?? []
        var find: BSONDocument = ["find": .string(collection), "batchSize": .int32(1000)]
        if let query {
            do { find.append("filter", .document(try BSONDocument(extendedJSON: query))) } catch {
                throw ValidationError("--query is not an Extended JSON document: \(error)")
            }
        }
        if !names.isEmpty {
            var projection = BSONDocument()
            for name in names { projection.append(name, .int32(1)) }
            find.append("projection", .document(projection))
        }
        let output: FileHandle
        if let out {
            guard FileManager.default.createFile(atPath: out, contents: nil) else { throw ToolFailure("cannot create \(out)") }
            output = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        } else {
            output = FileHandle.standardOutput
        }
        defer { if out != nil { try? output.close() } }
        var buffer = ""
        if type == .csv { buffer = names.map(Self.csvQuoted).joined(separator: ",") + "\n" }
        let client = try connection.connect()
        defer { client.close() }
        var count = 0
        try client.forEachInCursor(find, database: db) { document in
            switch type {
            case .json: buffer += document.extendedJSON(.relaxed) + "\n"
            case .csv: buffer += names.map { Self.csvQuoted(Self.csvText(document.exportValue(atPath: $0))) }.joined(separator: ",") + "\n"
            }
            count += 1
            if buffer.utf8.count >= 1 << 20 {
                output.write(Data(buffer.utf8))
                buffer = ""
            }
        }
        output.write(Data(buffer.utf8))
        printError("exported \(count) record\(count == 1 ? "" : "s")")
    }

    /// A value as a CSV field's text: strings as they are, numbers plainly, others as relaxed Extended JSON.
    static func csvText(_ value: BSONValue?) -> String {
        switch value {
        case nil, .null?: ""
        case .string(let text)?: text
        case .int32(let number)?: String(number)
        case .int64(let number)?: String(number)
        case .bool(let flag)?: String(flag)
        case .objectId(let id)?: "ObjectId(\(id))"
        case let other?: other.extendedJSON(.relaxed)
        }
    }

    /// `text` quoted when it holds a comma, quote or line break.
    static func csvQuoted(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

extension BSONDocument {
    /// The value at a dotted path through embedded documents, if any.
    fileprivate func exportValue(atPath path: String) -> BSONValue? {
        var current: BSONValue = .document(self)
        for component in path.split(separator: ".") {
            guard case .document(let document) = current, let next = document[String(component)] else { return nil }
            current = next
        }
        return current
    }
}
