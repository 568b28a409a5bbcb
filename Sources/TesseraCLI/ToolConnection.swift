// The connection the logical tools (`tessera dump`, `load`, `import`, `export`) open to a
// running server: `--uri` with credentials (SCRAM as drivers log in) and optional TLS, through
// BenchKit's wire client; plus the cursor walk (find, getMore) and the listings they share.

import ArgumentParser
import BSON
import BenchKit

/// `--uri` and the TLS files of the logical tools.
struct ToolConnectionOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "mongodb://[user:password@]host[:port]/[?authSource=admin&authMechanism=SCRAM-SHA-256&tls=true]",
        valueName: "URI"))
    var uri: String = "mongodb://127.0.0.1:27017"

    @Option(name: .customLong("tls-ca-file"), help: ArgumentHelp("Connect with TLS, verifying the server against these CAs (PEM).", valueName: "PEM"))
    var caFile: String?

    @Option(name: .customLong("tls-certificate-key-file"), help: ArgumentHelp("With TLS: the client's certificate and key (PEM).", valueName: "PEM"))
    var certificateKeyFile: String?

    /// Opens the connection the options describe (logged in, over TLS when asked).
    func connect() throws -> WireConnection {
        let parsed = try ConnectionString(parsing: uri)
        var tls: ClientTLS?
        if parsed.tls || caFile != nil {
            guard let caFile else { throw ValidationError("TLS needs --tls-ca-file") }
            tls = try ClientTLS(caFile: caFile, certificateKeyFile: certificateKeyFile)
        }
        return try WireConnection(host: parsed.host, port: parsed.port, tls: tls, credentials: parsed.credentials)
    }
}

/// A tool's failure, printed as the command's error.
struct ToolFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension WireConnection {
    /// Walks the cursor a command opens (`find`, `listCollections`, ...), handing each document to `body`.
    func forEachInCursor(_ command: BSONDocument, database: String,
                         _ body: (BSONDocument) throws -> Void) throws {
        var reply = try self.command(command, database: database)
        var batchKey = "firstBatch"
        while true {
            guard case .document(let cursor)? = reply["cursor"] else { throw ToolFailure("reply without a cursor: \(reply.extendedJSON())") }
            if case .array(let batch)? = cursor[batchKey] {
                for case .document(let document) in batch { try body(document) }
            }
            let id: Int64
            switch cursor["id"] {
            case .int64(let value)?: id = value
            case .int32(let value)?: id = Int64(value)
            default: id = 0
            }
            guard id != 0 else { return }
            guard case .string(let namespace)? = cursor["ns"], let dot = namespace.firstIndex(of: ".") else {
                throw ToolFailure("cursor without a namespace")
            }
            let collection = String(namespace[namespace.index(after: dot)...])
            reply = try self.command(["getMore": .int64(id), "collection": .string(collection)], database: database)
            batchKey = "nextBatch"
        }
    }

    /// The names of the databases on the server.
    func databaseNames() throws -> [String] {
        let reply = try command(["listDatabases": .int32(1), "nameOnly": .bool(true)], database: "admin")
        guard case .array(let databases)? = reply["databases"] else { return [] }
        return databases.compactMap { value in
            guard case .document(let entry) = value, case .string(let name)? = entry["name"] else { return nil }
            return name
        }
    }

    /// The `listCollections` entries of `database` (name, type, options, info), `system.*` left out.
    func collectionEntries(_ database: String) throws -> [BSONDocument] {
        var entries: [BSONDocument] = []
        try forEachInCursor(["listCollections": .int32(1)], database: database) { entry in
            guard case .string(let name)? = entry["name"], !name.hasPrefix("system.") else { return }
            entries.append(entry)
        }
        return entries.sorted { lhs, rhs in
            if case .string(let l)? = lhs["name"], case .string(let r)? = rhs["name"] { return l < r }
            return false
        }
    }

    /// Inserts `documents` unordered (one document sequence); returns how many the server took
    /// and the write errors it reported (the batch index and message of each).
    func insertUnordered(_ documents: [BSONDocument], collection: String, database: String) throws -> (inserted: Int, errors: [(index: Int, message: String)]) {
        let reply = try uncheckedCommand(["insert": .string(collection), "ordered": .bool(false)],
                                         database: database, documents: documents)
        guard reply["ok"]?.doubleValue == 1 else {
            throw ToolFailure("insert into \(database).\(collection) failed: \(reply["errmsg"]?.stringValue ?? "unknown error")")
        }
        var errors: [(index: Int, message: String)] = []
        if case .array(let entries)? = reply["writeErrors"] {
            for case .document(let entry) in entries {
                errors.append((Int(entry["index"]?.int64Value ?? -1), entry["errmsg"]?.stringValue ?? "?"))
            }
        }
        return (Int(reply["n"]?.int64Value ?? 0), errors)
    }
}
