// bulkWrite: MongoDB 8.0's admin command that writes to several collections in one request
// (drivers' `client.bulkWrite`). Each op becomes one statement of the insert, update or delete
// command, run with their semantics; this file owns only the translation and the reply shape.

import BSON

/// The bulkWrite command.
enum BulkWriteCommand {
    static let handlers: [CommandHandler] = [
        CommandHandler(["bulkWrite"], counter: .perStatement, help: "inserts, updates and deletes across collections") { (context) throws(MongoError) -> BSONDocument in
            try bulkWrite(context)
        },
    ]

    /// The counters and per-op results of one bulkWrite.
    private struct Summary {
        var results: [BSONDocument] = []
        var nErrors = 0, nInserted = 0, nMatched = 0, nModified = 0, nUpserted = 0, nDeleted = 0
    }

    /// `{bulkWrite: 1, ops, nsInfo, ordered, errorsOnly, let, bypassDocumentValidation}` on admin.
    /// Replies `{cursor: {id, firstBatch: [per-op results], ns}, nErrors, nInserted, …}`: the
    /// results beyond `cursor.batchSize` or the 16 MiB batch cap come by getMore.
    ///
    /// - Throws: `Unauthorized` (13) outside admin; `InvalidLength` (16) for an empty or too
    ///   large `ops`; `BadValue` (2) for an op naming no nsInfo entry or of unknown kind.
    static func bulkWrite(_ context: CommandContext) throws(MongoError) -> BSONDocument {
        guard context.database == "admin" else {
            throw MongoError(.unauthorized, "bulkWrite may only be run against the admin database.")
        }
        let ops = try context.documents("ops")
        guard !ops.isEmpty, ops.count <= Int(HandshakeCommands.maxWriteBatchSize) else {
            throw MongoError(.invalidLength,
                             "Write batch sizes must be between 1 and \(HandshakeCommands.maxWriteBatchSize). Got \(ops.count) operations.")
        }
        var namespaces: [Namespace] = []
        for entry in try context.documents("nsInfo") {
            guard case let .string(text)? = entry["ns"], let dot = text.firstIndex(of: ".") else {
                throw MongoError(.invalidNamespace, "bulkWrite nsInfo entries need an 'ns' of the form 'db.collection'")
            }
            namespaces.append(try Namespace(database: String(text[..<dot]), collection: String(text[text.index(after: dot)...])))
        }
        let ordered = try context.bool("ordered") ?? true
        let errorsOnly = try context.bool("errorsOnly") ?? false
        var shared = BSONDocument()
        for key in ["let", "bypassDocumentValidation", "writeConcern"] {
            if let value = context.body[key] { shared.append(key, value) }
        }
        var summary = Summary()
        for (index, op) in ops.enumerated() {
            try context.checkForInterrupt()
            let (body, namespace, kind) = try statement(op, index: index, namespaces: namespaces, shared: shared)
            let reply: BSONDocument
            do throws(MongoError) {
                reply = try run(kind, body: body, database: namespace.database, from: context)
            } catch {
                try WriteCommands.rethrowIfUnreachable(error)
                reply = ["n": .int32(0), "writeErrors": .array([.document(["index": .int32(0), "code": .int32(error.code.rawValue),
                                                                           "errmsg": .string(error.message)])])]
            }
            if case let .array(errors)? = reply["writeErrors"], case let .document(first)? = errors.first {
                summary.nErrors += 1
                var entry: BSONDocument = ["ok": .double(0), "idx": .int32(Int32(clamping: index)), "n": .int32(0)]
                for element in first where element.key != "index" { entry.append(element.key, element.value) }
                summary.results.append(entry)
                if ordered { break }
                continue
            }
            let n = reply["n"]?.int64Value ?? 0
            var entry: BSONDocument = ["ok": .double(1), "idx": .int32(Int32(clamping: index)), "n": .int64(n)]
            switch kind {
            case "insert":
                summary.nInserted += Int(clamping: n)
            case "delete":
                summary.nDeleted += Int(clamping: n)
            default:
                let modified = reply["nModified"]?.int64Value ?? 0
                entry.append("nModified", .int64(modified))
                summary.nModified += Int(clamping: modified)
                if case let .array(upserted)? = reply["upserted"], case let .document(first)? = upserted.first,
                   let id = first["_id"] {
                    entry.append("upserted", .document(["_id": id]))
                    summary.nUpserted += 1
                    summary.nMatched += Int(clamping: max(0, n - 1))
                } else {
                    summary.nMatched += Int(clamping: n)
                }
            }
            if !errorsOnly { summary.results.append(entry) }
        }
        // The results cursor: a first batch of `cursor.batchSize` (default: all) within the
        // 16 MiB batch cap, the rest by getMore, as mongod's.
        let batchSize = try context.document("cursor")?["batchSize"].map { (value) throws(MongoError) -> Int in
            guard value.isNumeric, let size = ClientNumber.saturatedInteger(value) else {
                throw MongoError(.typeMismatch,
                                 "BSON field 'bulkWrite.cursor.batchSize' is the wrong type '\(value.type.alias)', expected types '[long, int, decimal, double]'")
            }
            guard size >= 0 else {
                throw MongoError(.location(51024), "BSON field 'batchSize' value must be >= 0, actual value '\(size)'")
            }
            return Int(clamping: size)
        }
        var reply = try QueryCommands.cursorReply(context, namespace: "admin.$cmd.bulkWrite",
                                                  documents: summary.results,
                                                  batchSize: batchSize ?? Int.max, singleBatch: false)
        for (key, value) in Self.counters(summary).elements { reply.append(key, value) }
        return reply
    }

    /// bulkWrite's reply counters.
    private static func counters(_ summary: Summary) -> BSONDocument {
        [
            "nErrors": .int32(Int32(clamping: summary.nErrors)), "nInserted": .int32(Int32(clamping: summary.nInserted)),
            "nMatched": .int32(Int32(clamping: summary.nMatched)), "nModified": .int32(Int32(clamping: summary.nModified)),
            "nUpserted": .int32(Int32(clamping: summary.nUpserted)), "nDeleted": .int32(Int32(clamping: summary.nDeleted)),
        ]
    }

    /// The one-statement insert, update or delete command for `op`, its namespace and kind.
    private static func statement(
        _ op: BSONDocument, index: Int, namespaces: [Namespace], shared: BSONDocument
    ) throws(MongoError) -> (BSONDocument, Namespace, String) {
        guard let first = op.first, ["insert", "update", "delete"].contains(first.key) else {
            throw MongoError(.badValue, "Unrecognized bulkWrite operation at ops.\(index): \(op.first?.key ?? "nothing")")
        }
        guard first.value.isNumeric, let position = ClientNumber.saturatedInteger(first.value),
              position >= 0, position < Int64(namespaces.count)
        else {
            throw MongoError(.badValue, "BulkWrite ops entry \(index) has an invalid nsInfo index")
        }
        let namespace = namespaces[Int(position)]  // checked: 0 <= position < count
        var body: BSONDocument = [first.key: .string(namespace.collection)]
        switch first.key {
        case "insert":
            body.append("documents", .array([op["document"] ?? .null]))
        case "update":
            var update: BSONDocument = ["q": op["filter"] ?? .document([:]), "u": op["updateMods"] ?? .null]
            for key in ["multi", "upsert", "arrayFilters", "hint", "collation", "sort"] {
                if let value = op[key] { update.append(key, value) }
            }
            body.append("updates", .array([.document(update)]))
        default:
            var delete: BSONDocument = ["q": op["filter"] ?? .document([:]),
                                        "limit": .int32(op["multi"].map(FailPoints.flag) == true ? 0 : 1)]
            for key in ["hint", "collation"] {
                if let value = op[key] { delete.append(key, value) }
            }
            body.append("deletes", .array([.document(delete)]))
        }
        for element in shared { body.append(element.key, element.value) }
        body.append("$db", .string(namespace.database))
        return (body, namespace, first.key)
    }

    /// Runs one statement command with the write command's handler, in the bulkWrite's
    /// operation, transaction and deadline.
    private static func run(_ kind: String, body: BSONDocument, database: String,
                            from context: CommandContext) throws(MongoError) -> BSONDocument {
        var inner = CommandContext(name: kind, request: CommandRequest(database: database, body: body),
                                   connection: context.connection, server: context.server,
                                   operation: context.operation, deadline: context.deadline)
        inner.transaction = context.transaction
        switch kind {
        case "insert": return try WriteCommands.insert(inner)
        case "update": return try WriteCommands.update(inner)
        default: return try WriteCommands.delete(inner)
        }
    }
}
