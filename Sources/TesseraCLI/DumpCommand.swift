// `tessera dump` and `tessera load`: logical dump and restore over the wire in mongodump's
// layout — `DIR/<db>/<coll>.bson` (concatenated BSON documents) beside `<coll>.metadata.json`
// (canonical Extended JSON: options, indexes, uuid, collectionName, type), `.gz` appended to
// both under --gzip. Views are dumped as metadata only. Load creates each collection with its
// options, inserts its documents in unordered batches, then builds its indexes; views last.

import ArgumentParser
import BSON
import BenchKit
import Foundation

/// The databases a dump of the whole server leaves out, as mongodump does.
private let internalDatabases: Set<String> = ["admin", "config", "local"]

/// `tessera dump`.
struct Dump: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Dump databases to BSON files in mongodump's layout (DIR/db/coll.bson + coll.metadata.json).")

    @OptionGroup var connection: ToolConnectionOptions

    @Option(name: .long, help: "The output directory.")
    var out: String = "dump"

    @Option(name: .long, help: "Only this database (default: every database but admin, config and local).")
    var db: String?

    @Option(name: .long, help: "Only this collection (needs --db).")
    var collection: String?

    @Flag(name: .long, help: "Compress every file with gzip (.bson.gz, .metadata.json.gz).")
    var gzip = false

    func validate() throws {
        if collection != nil && db == nil { throw ValidationError("--collection needs --db") }
    }

    func run() throws {
        let client = try connection.connect()
        defer { client.close() }
        let databases = try db.map { [$0] } ?? client.databaseNames().filter { !internalDatabases.contains($0) }
        for database in databases {
            let entries = try client.collectionEntries(database).filter { entry in
                collection == nil || entry["name"]?.stringValue == collection
            }
            guard !entries.isEmpty else { continue }
            let directory = URL(fileURLWithPath: out).appendingPathComponent(database)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            for entry in entries {
                guard let name = entry["name"]?.stringValue else { continue }
                let count = try dumpCollection(entry, name: name, database: database, client: client, directory: directory)
                print("dumped \(database).\(name): \(count.map { "\($0) documents" } ?? "view (metadata only)")")
            }
        }
    }

    /// Writes one collection's metadata and (unless it is a view) documents; returns the document count.
    private func dumpCollection(_ entry: BSONDocument, name: String, database: String,
                                client: WireConnection, directory: URL) throws -> Int? {
        let type = entry["type"]?.stringValue ?? "collection"
        var metadata = BSONDocument()
        metadata.append("options", entry["options"] ?? .document([:]))
        var indexes: [BSONValue] = []
        if type != "view" {
            try client.forEachInCursor(["listIndexes": .string(name)], database: database) { indexes.append(.document($0)) }
        }
        metadata.append("indexes", .array(indexes))
        if case .binary(let uuid)? = entry["info"]?.documentValue?["uuid"] {
            metadata.append("uuid", .string(uuid.bytes.map { String($0, radix: 16).leftPadded(to: 2) }.joined()))
        }
        metadata.append("collectionName", .string(name))
        metadata.append("type", .string(type))
        try write(Array(metadata.extendedJSON(.canonical).utf8), to: directory.appendingPathComponent("\(name).metadata.json"))
        guard type != "view" else { return nil }
        var writer = BSONWriter(capacity: 1 << 20)
        var count = 0
        try client.forEachInCursor(["find": .string(name), "batchSize": .int32(1000)], database: database) { document in
            try writer.append(document)
            count += 1
        }
        try write(writer.bytes, to: directory.appendingPathComponent("\(name).bson"))
        return count
    }

    /// Writes `bytes` to `url`, gzipped (and named `.gz`) under --gzip.
    private func write(_ bytes: [UInt8], to url: URL) throws {
        if gzip {
            try Data(Gzip.compress(bytes)).write(to: url.appendingPathExtension("gz"))
        } else {
            try Data(bytes).write(to: url)
        }
    }
}

extension String {
    /// The string with leading zeros up to `width` characters.
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

/// `tessera load`.
struct Load: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Load a dump in mongodump's layout (tessera dump's or mongodump's, gzipped or not).")

    @OptionGroup var connection: ToolConnectionOptions

    @Option(name: .long, help: "The dump directory (holding one directory per database).")
    var dir: String = "dump"

    @Flag(name: .long, help: "Drop each collection before loading it.")
    var drop = false

    func run() throws {
        let client = try connection.connect()
        defer { client.close() }
        let root = URL(fileURLWithPath: dir)
        let databases = try FileManager.default.contentsOfDirectory(atPath: root.path).sorted().filter { name in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: root.appendingPathComponent(name).path, isDirectory: &isDirectory)
                && isDirectory.boolValue
        }
        for database in databases {
            let items = try DumpDirectory(root.appendingPathComponent(database))
            // Collections first (options, documents, indexes), then the views built on them.
            for item in items.collections where item.type != "view" {
                try prepare(item, database: database, client: client)
                let count = try insertDocuments(of: item, database: database, client: client)
                try buildIndexes(of: item, database: database, client: client)
                print("loaded \(database).\(item.name): \(count) documents, \(max(item.indexes.count - 1, 0)) indexes besides _id")
            }
            for item in items.collections where item.type == "view" {
                try prepare(item, database: database, client: client)
                print("loaded view \(database).\(item.name)")
            }
        }
    }

    /// Drops (with --drop) and creates the collection or view with its dumped options.
    private func prepare(_ item: DumpedCollection, database: String, client: WireConnection) throws {
        if drop {
            let reply = try client.uncheckedCommand(["drop": .string(item.name)], database: database, documents: nil)
            if reply["ok"]?.doubleValue != 1, reply["code"]?.int64Value != 26 {
                throw ToolFailure("drop \(database).\(item.name): \(reply["errmsg"]?.stringValue ?? "?")")
            }
        }
        var create: BSONDocument = ["create": .string(item.name)]
        for (key, value) in item.options.elements where key != "uuid" { create.append(key, value) }
        let reply = try client.uncheckedCommand(create, database: database, documents: nil)
        // NamespaceExists (48): load into the existing collection, as mongorestore does.
        if reply["ok"]?.doubleValue != 1, reply["code"]?.int64Value != 48 {
            throw ToolFailure("create \(database).\(item.name): \(reply["errmsg"]?.stringValue ?? "?")")
        }
    }

    /// Inserts the `.bson` file's documents in unordered batches; returns how many went in.
    private func insertDocuments(of item: DumpedCollection, database: String, client: WireConnection) throws -> Int {
        guard let file = item.dataFile else { return 0 }
        var batch = DocumentBatcher()
        var inserted = 0
        var failures = 0
        func flush() throws {
            let result = try client.insertUnordered(batch.take(), collection: item.name, database: database)
            inserted += result.inserted
            failures += result.errors.count
            if let first = result.errors.first { FileHandle.standardError.write(Data("\(database).\(item.name): \(first.message)\n".utf8)) }
        }
        try BSONFile.forEachDocument(in: file) { document in
            if batch.add(document) { try flush() }
        }
        if !batch.isEmpty { try flush() }
        if failures > 0 { throw ToolFailure("\(database).\(item.name): \(failures) documents were not inserted") }
        return inserted
    }

    /// Builds the dumped indexes (all but `_id_`) in one createIndexes.
    private func buildIndexes(of item: DumpedCollection, database: String, client: WireConnection) throws {
        let specs: [BSONValue] = item.indexes.compactMap { spec in
            guard spec["name"]?.stringValue != "_id_" else { return nil }
            var spec = spec
            _ = spec.removeValue(forKey: "ns")
            return .document(spec)
        }
        guard !specs.isEmpty else { return }
        _ = try client.command(["createIndexes": .string(item.name), "indexes": .array(specs)], database: database)
    }
}

/// Collects documents into insert batches of at most 1,000 documents or 16 MB.
struct DocumentBatcher {
    private var documents: [BSONDocument] = []
    private var bytes = 0

    /// Whether no document waits.
    var isEmpty: Bool { documents.isEmpty }

    /// Adds `document` (of `size` bytes when known); true when the batch should be sent now.
    mutating func add(_ document: BSONDocument, size: Int = 0) -> Bool {
        documents.append(document)
        bytes += size
        return documents.count >= 1000 || bytes >= 16 << 20
    }

    /// The waiting documents, leaving the batch empty.
    mutating func take() -> [BSONDocument] {
        defer { documents = []; bytes = 0 }
        return documents
    }
}

/// One collection or view found in a dump's database directory.
struct DumpedCollection {
    let name: String
    var type = "collection"
    var options = BSONDocument()
    var indexes: [BSONDocument] = []
    /// The `.bson` or `.bson.gz` file, when the dump has one.
    var dataFile: URL?
}

/// The collections of one database directory of a dump, by name.
struct DumpDirectory {
    private(set) var collections: [DumpedCollection] = []

    init(_ directory: URL) throws {
        var byName: [String: DumpedCollection] = [:]
        for file in try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() {
            let url = directory.appendingPathComponent(file)
            let plain = file.hasSuffix(".gz") ? String(file.dropLast(3)) : file
            if plain.hasSuffix(".metadata.json") {
                let name = String(plain.dropLast(".metadata.json".count))
                guard !name.hasPrefix("system.") else { continue }
                let text = String(decoding: try BSONFile.contents(of: url), as: UTF8.self)
                let metadata = try BSONDocument(extendedJSON: text)
                var item = byName[name] ?? DumpedCollection(name: name)
                item.type = metadata["type"]?.stringValue ?? "collection"
                item.options = metadata["options"]?.documentValue ?? [:]
                if case .array(let indexes)? = metadata["indexes"] { item.indexes = indexes.compactMap(\.documentValue) }
                byName[name] = item
            } else if plain.hasSuffix(".bson") {
                let name = String(plain.dropLast(".bson".count))
                guard !name.hasPrefix("system.") else { continue }
                var item = byName[name] ?? DumpedCollection(name: name)
                item.dataFile = url
                byName[name] = item
            }
        }
        collections = byName.values.sorted { $0.name < $1.name }
    }
}

/// Reading dump files: whole contents (gunzipped when named `.gz`) and the BSON documents in them.
enum BSONFile {
    /// The file's bytes, decompressed when its name ends in `.gz`.
    static func contents(of url: URL) throws -> [UInt8] {
        let bytes = [UInt8](try Data(contentsOf: url))
        return url.pathExtension == "gz" ? try Gzip.decompress(bytes) : bytes
    }

    /// Hands each document of a file of concatenated BSON documents to `body`, in order.
    static func forEachDocument(in url: URL, _ body: (BSONDocument) throws -> Void) throws {
        let bytes = try contents(of: url)
        try bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                guard raw.count - offset >= 5 else { throw ToolFailure("\(url.path): truncated document at byte \(offset)") }
                let length = Int(raw[offset]) | Int(raw[offset + 1]) << 8 | Int(raw[offset + 2]) << 16 | Int(raw[offset + 3]) << 24
                guard length >= 5, length <= raw.count - offset else {
                    throw ToolFailure("\(url.path): bad document length \(length) at byte \(offset)")
                }
                let document = try BSONDocument(bsonBytes: UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + length)]))
                try body(document)
                offset += length
            }
        }
    }
}
