// Write commands: insert, update, delete (ordered and unordered batches with per-statement
// writeErrors) and findAndModify. Each statement is its own atomic write; an ordered batch
// stops at its first error, an unordered one carries on.

import BSON
import Query

/// Write commands.
enum WriteCommands {
    static let handlers: [CommandHandler] = [
        CommandHandler(["insert"], counter: .perStatement, help: "inserts documents") { (context) throws(MongoError) -> BSONDocument in
            try insert(context)
        },
        CommandHandler(["update"], counter: .perStatement, help: "updates documents") { (context) throws(MongoError) -> BSONDocument in
            try update(context)
        },
        CommandHandler(["delete"], counter: .perStatement, help: "deletes documents") { (context) throws(MongoError) -> BSONDocument in
            try delete(context)
        },
        CommandHandler(["findAndModify", "findandmodify"], help: "updates or removes one document and returns it") { (context) throws(MongoError) -> BSONDocument in
            try findAndModify(context)
        },
    ]

    /// The write errors and counts of one batch.
    struct BatchOutcome {
        var n = 0
        var modified = 0
        var upserted: [BSONValue] = []
        var errors: [BSONValue] = []

        /// Records `error` for statement `index`.
        mutating func fail(_ index: Int, _ error: MongoError) {
            var entry: BSONDocument = ["index": .int32(Int32(index)), "code": .int32(error.code.rawValue)]
            entry.append("errmsg", .string(error.message))
            for detail in error.details { entry.append(detail.key, detail.value) }
            errors.append(.document(entry))
        }
    }

    /// Rethrows `error` when it fails the whole command rather than its statement: the
    /// storage engine's database is unreachable (HostUnreachable, 6), so the reply is a
    /// top-level error a driver retries (`RetryableWriteError` on a retryable write) instead
    /// of a write error it does not. Statements before it stay applied; a retry finds their
    /// markers and does not apply them again.
    static func rethrowIfUnreachable(_ error: MongoError) throws(MongoError) {
        if error.code == .hostUnreachable { throw error }
    }

    /// The statements of `key`, checked against `maxWriteBatchSize`.
    private static func statements(_ context: CommandContext, _ key: String) throws(MongoError) -> [BSONDocument] {
        let documents = try context.documents(key)
        guard !documents.isEmpty, documents.count <= Int(HandshakeCommands.maxWriteBatchSize) else {
            throw MongoError(.invalidLength,
                             "Write batch sizes must be between 1 and \(HandshakeCommands.maxWriteBatchSize). Got \(documents.count) operations.")
        }
        return documents
    }

    /// insert.
    static func insert(_ context: CommandContext) throws(MongoError) -> BSONDocument {
        let namespace = try context.collectionNamespace()
        let documents = try statements(context, "documents")
        let ordered = try context.bool("ordered") ?? true
        let writeConcern = try context.writeConcern()
        let collection = try context.writableCollection(namespace)
        var outcome = BatchOutcome()
        let progress = context.retryableWrite
        // Runs of documents go in one commit; a run that fails on a statement (a duplicate
        // key, a bad document) is retried one by one so each statement gets its own result.
        // A run that fails in storage (full disk, failed journal sync) is not: its batch may
        // already be in the WAL, so a retry would report E11000 for the run's own documents.
        let chunkSize = 256
        var start = 0
        batches: while start < documents.count {
            do throws(MongoError) {
                try context.checkForInterrupt()
            } catch {
                outcome.fail(start, error)
                break batches
            }
            if let progress, progress.isExecuted(start) {
                // A retried statement an earlier attempt applied: answered from its record.
                outcome.n += 1
                start += 1
                continue
            }
            var end = start
            var chunk: [BSONDocument] = []
            while end < documents.count, chunk.count < chunkSize {
                if BSONSize.of(documents[end]) > Int(HandshakeCommands.maxBsonObjectSize) { break }
                if let progress, progress.isExecuted(end) { break }
                chunk.append(documents[end])
                end += 1
            }
            if !chunk.isEmpty {
                context.server.count { $0.insert += Int64(chunk.count) }
                do {
                    try context.applyingStatements(start..<end) { () throws(MongoError) in
                        _ = try collection.insert(contentsOf: chunk, writeConcern: writeConcern)
                    }
                    outcome.n += chunk.count
                    start = end
                    continue
                } catch {
                    try rethrowIfUnreachable(error)
                    if error.isStorageFailure {
                        context.server.logger.error("insert failed in storage", metadata: [
                            "namespace": "\(namespace)", "error": "\(error)",
                            "storage": "\(error.causeDescription)",
                        ])
                        outcome.fail(start, error)
                        break batches
                    }
                    for (offset, document) in chunk.enumerated() {
                        do {
                            let index = start + offset
                            try context.applyingStatements(index..<index + 1) { () throws(MongoError) in
                                _ = try collection.insert(document, writeConcern: writeConcern)
                            }
                            outcome.n += 1
                        } catch {
                            try rethrowIfUnreachable(error)
                            outcome.fail(start + offset, error)
                            if ordered || error.isStorageFailure { break batches }
                        }
                    }
                    start = end
                    continue
                }
            }
            // documents[start] is over 16 MiB.
            context.server.count { $0.insert += 1 }
            let size = BSONSize.of(documents[start])
            outcome.fail(start, MongoError(.badValue,
                                           "object to insert too large. size in bytes: \(size), max size: \(HandshakeCommands.maxBsonObjectSize)"))
            if ordered { break }
            start += 1
        }
        var reply: BSONDocument = ["n": .int32(Int32(outcome.n))]
        if !outcome.errors.isEmpty { reply.append("writeErrors", .array(outcome.errors)) }
        return reply
    }

    /// update.
    static func update(_ context: CommandContext) throws(MongoError) -> BSONDocument {
        let namespace = try context.collectionNamespace()
        let updates = try statements(context, "updates")
        let ordered = try context.bool("ordered") ?? true
        let writeConcern = try context.writeConcern()
        let collection = try context.writableCollection(namespace)
        var outcome = BatchOutcome()
        let progress = context.retryableWrite
        for (index, statement) in updates.enumerated() {
            if let progress, progress.isExecuted(index) {
                // Applied by an earlier attempt: answered from its record, as mongod answers
                // from the statement's oplog entry (an upsert's _id, else n 1 and nModified 1).
                outcome.n += 1
                if let id = progress.insertedID(at: index) {
                    outcome.upserted.append(.document(["index": .int32(Int32(clamping: index)), "_id": id]))
                } else {
                    outcome.modified += 1
                }
                continue
            }
            context.server.count { $0.update += 1 }
            let mark = StatementMark(context.operation)
            do throws(MongoError) {
                try context.checkForInterrupt()
                // A statement of many documents commits several times: it is not recorded,
                // and mongod refuses it in a retryable write.
                let single = !(statement["multi"].map(isTrue) ?? false)
                if !single { try context.retryableWrite?.refuseManyDocuments(at: index, "multi=true") }
                let result = try context.applyingStatements(single ? index..<index + 1 : index..<index) {
                    () throws(MongoError) -> UpdateResult in
                    try runUpdate(statement, on: collection, context: context, writeConcern: writeConcern)
                }
                if let id = result.upsertedID {
                    outcome.n += 1
                    outcome.upserted.append(.document(["index": .int32(Int32(index)), "_id": id]))
                } else {
                    outcome.n += result.matchedCount
                    outcome.modified += result.modifiedCount
                }
                mark.finish(statement, .update(matched: result.matchedCount, modified: result.modifiedCount,
                                               upserted: result.upsertedID == nil ? 0 : 1))
            } catch {
                mark.finish(statement, .update(matched: 0, modified: 0, upserted: 0), error: error)
                try rethrowIfUnreachable(error)
                outcome.fail(index, error)
                if ordered || error.code == .maxTimeMSExpired || error.code == .interrupted { break }
            }
        }
        var reply: BSONDocument = ["n": .int32(Int32(clamping: outcome.n)), "nModified": .int32(Int32(clamping: outcome.modified))]
        if !outcome.upserted.isEmpty { reply.append("upserted", .array(outcome.upserted)) }
        if !outcome.errors.isEmpty { reply.append("writeErrors", .array(outcome.errors)) }
        return reply
    }

    /// One update statement `{q, u, multi, upsert, arrayFilters, hint, collation, sort}`.
    private static func runUpdate(
        _ statement: BSONDocument, on collection: QueryCollection, context: CommandContext, writeConcern: WriteConcern
    ) throws(MongoError) -> UpdateResult {
        guard case let .document(filter)? = statement["q"] else {
            throw MongoError(.location(40414), "BSON field 'update.updates.q' is missing but a required field")
        }
        let update: UpdateSpec
        let bindings = try context.letBindings()
        switch statement["u"] {
        case let .document(document)?: update = .operators(document)
        case let .array(stages)?: update = .pipeline(try UpdateSpec.stages(stages, bindings: bindings))
        default: throw MongoError(.location(40414), "BSON field 'update.updates.u' is missing but a required field")
        }
        let collection = try collection.collated(by: try statementCollation(statement, "update.updates"))
        var arrayFilters: [BSONDocument] = []
        if case let .array(filters)? = statement["arrayFilters"] {
            for value in filters {
                guard case let .document(filter) = value else {
                    throw MongoError(.typeMismatch, "BSON field 'update.updates.arrayFilters' must contain only objects")
                }
                arrayFilters.append(filter)
            }
        }
        let options = UpdateOptions(multi: statement["multi"].map(isTrue) ?? false,
                                    upsert: statement["upsert"].map(isTrue) ?? false,
                                    arrayFilters: arrayFilters, writeConcern: writeConcern)
        var target = bindings.substitutingInExpr(filter)
        if let sort = statement["sort"] {
            // MongoDB 8.0: an update of one document may say which one (the first in `sort` order).
            guard case let .document(order) = sort else {
                throw MongoError(.typeMismatch, "BSON field 'update.updates.sort' is the wrong type '\(sort.type.alias)', expected type 'object'")
            }
            guard !options.multi || order.isEmpty else {
                throw MongoError(.failedToParse, "Cannot specify sort with multi=true")
            }
            if !order.isEmpty, let first = try collection.find(FindQuery(filter: target, projection: ["_id": 1], sort: order, limit: 1)).first,
               let id = first["_id"] {
                target = ["_id": id]
            }
        }
        return try update.run(on: collection, filter: target, options: options)
    }

    /// A statement's `collation`, if any.
    ///
    /// - Throws: `TypeMismatch` (14) when it is not a document.
    static func statementCollation(_ statement: BSONDocument, _ field: String) throws(MongoError) -> BSONDocument? {
        guard let value = statement["collation"] else { return nil }
        guard case let .document(collation) = value else {
            throw MongoError(.typeMismatch, "BSON field '\(field).collation' is the wrong type '\(value.type.alias)', expected type 'object'")
        }
        return collation
    }

    private static func isTrue(_ value: BSONValue) -> Bool {
        switch value {
        case let .bool(flag): flag
        default: (value.doubleValue ?? 0) != 0
        }
    }

    /// delete.
    static func delete(_ context: CommandContext) throws(MongoError) -> BSONDocument {
        let namespace = try context.collectionNamespace()
        let deletes = try statements(context, "deletes")
        let ordered = try context.bool("ordered") ?? true
        let writeConcern = try context.writeConcern()
        let collection = try context.writableCollection(namespace)
        var outcome = BatchOutcome()
        let progress = context.retryableWrite
        for (index, statement) in deletes.enumerated() {
            if let progress, progress.isExecuted(index) {
                // Deleted by an earlier attempt: answered from its record (n 1, as mongod).
                outcome.n += 1
                continue
            }
            context.server.count { $0.delete += 1 }
            let mark = StatementMark(context.operation)
            var deleted = 0
            defer { mark.finish(statement, .remove(deleted: deleted)) }
            do throws(MongoError) {
                try context.checkForInterrupt()
                guard case let .document(filter)? = statement["q"] else {
                    throw MongoError(.location(40414), "BSON field 'delete.deletes.q' is missing but a required field")
                }
                guard let limit = statement["limit"]?.int64Value, limit == 0 || limit == 1 else {
                    throw MongoError(.failedToParse,
                                     "The limit field in delete objects must be 0 or 1. Got \(statement["limit"]?.extendedJSON() ?? "nothing")")
                }
                let collection = try collection.collated(by: try statementCollation(statement, "delete.deletes"))
                let target = try context.letBindings().substitutingInExpr(filter)
                // A delete of many documents is not recorded, and mongod refuses it in a
                // retryable write.
                if limit == 0 { try context.retryableWrite?.refuseManyDocuments(at: index, "limit=0") }
                deleted = try context.applyingStatements(limit == 1 ? index..<index + 1 : index..<index) {
                    () throws(MongoError) -> Int in
                    try collection.delete(target, multi: limit == 0, writeConcern: writeConcern)
                }
                outcome.n += deleted
            } catch {
                try rethrowIfUnreachable(error)
                outcome.fail(index, error)
                if ordered || error.code == .maxTimeMSExpired || error.code == .interrupted { break }
            }
        }
        var reply: BSONDocument = ["n": .int32(Int32(clamping: outcome.n))]
        if !outcome.errors.isEmpty { reply.append("writeErrors", .array(outcome.errors)) }
        return reply
    }

    /// findAndModify.
    static func findAndModify(_ context: CommandContext) throws(MongoError) -> BSONDocument {
        let namespace = try context.collectionNamespace()
        let bindings = try context.letBindings()
        let filter = bindings.substitutingInExpr(try context.document("query") ?? BSONDocument())
        let sort = try context.document("sort")
        let fields = try context.document("fields")
        let remove = try context.bool("remove") ?? false
        let returnNew = try context.bool("new") ?? false
        let upsert = try context.bool("upsert") ?? false
        let writeConcern = try context.writeConcern()
        var arrayFilters: [BSONDocument] = []
        for value in try context.array("arrayFilters") ?? [] {
            guard case let .document(filter) = value else {
                throw MongoError(.typeMismatch, "BSON field 'findAndModify.arrayFilters' must contain only objects")
            }
            arrayFilters.append(filter)
        }
        let update: UpdateSpec?
        switch context.body["update"] {
        case nil: update = nil
        case let .document(document)?: update = .operators(document)
        case let .array(stages)?: update = .pipeline(try UpdateSpec.stages(stages, bindings: bindings))
        case let other?:
            throw MongoError(.failedToParse, "Update argument must be either an object or an array, found \(other.type.alias)")
        }
        guard remove != (update != nil) else {
            throw MongoError(.failedToParse, remove ? "Cannot specify both an update and remove=true"
                                                    : "Either an update or remove=true must be specified")
        }
        if remove && (upsert || returnNew) {
            throw MongoError(.failedToParse, upsert ? "Cannot specify both upsert=true and remove=true"
                                                    : "Cannot specify both new=true and remove=true; 'remove' always returns the deleted document")
        }
        let collection = try context.writableCollection(namespace).collated(by: try context.document("collation"))
        let projection = try fields.flatMap { (spec) throws(MongoError) -> Projection? in spec.isEmpty ? nil : try Projection(spec) }
        func shaped(_ document: BSONDocument?) throws(MongoError) -> BSONValue {
            guard let document else { return .null }
            return .document(try projection?.apply(to: document) ?? document)
        }
        try context.checkForInterrupt()
        if remove { context.server.count { $0.delete += 1 } } else { context.server.count { $0.update += 1 } }
        // Find the document the sort picks, then change it only if it still matches, in one
        // atomic write whose own before and after versions are returned; a concurrent writer
        // that changed it in between sends us back to finding.
        for _ in 0 ..< 1000 {
            try context.checkForInterrupt()
            let found = try collection.find(FindQuery(filter: filter, sort: sort, limit: 1, hint: try context.hint())).first
            if remove {
                guard let found, let id = found["_id"] else {
                    return ["lastErrorObject": .document(["n": .int32(0)]), "value": .null]
                }
                guard let deleted = try collection.deleteOne(id: id, matching: filter, writeConcern: writeConcern) else { continue }
                return ["lastErrorObject": .document(["n": .int32(1)]), "value": try shaped(deleted)]
            }
            guard let update else { throw MongoError(.internalError, "findAndModify without update") }
            guard let found, let id = found["_id"] else {
                guard upsert else {
                    return ["lastErrorObject": .document(["n": .int32(0), "updatedExisting": .bool(false)]), "value": .null]
                }
                let options = UpdateOptions(multi: false, upsert: true, arrayFilters: arrayFilters, writeConcern: writeConcern)
                let result = try update.run(on: collection, filter: filter, options: options)
                guard let upsertedID = result.upsertedID else { continue }
                let inserted = returnNew ? try collection.document(withID: upsertedID) : nil
                return ["lastErrorObject": .document(["n": .int32(1), "updatedExisting": .bool(false), "upserted": upsertedID]),
                        "value": try shaped(inserted)]
            }
            let images: QueryCollection.ModifiedImages?
            switch update {
            case let .operators(document):
                images = try collection.updateOne(id: id, matching: filter, update: document, arrayFilters: arrayFilters,
                                                  writeConcern: writeConcern)
            case let .pipeline(stages):
                images = try collection.updateOne(id: id, matching: filter, pipeline: stages, writeConcern: writeConcern)
            }
            guard let images else { continue }
            return ["lastErrorObject": .document(["n": .int32(1), "updatedExisting": .bool(true)]),
                    "value": try shaped(returnNew ? images.after : images.before)]
        }
        throw MongoError(.writeConflict, "findAndModify kept losing its document to concurrent writers; retry")
    }
}

/// An update statement's `u`: operators (or a replacement) or a pipeline of stages.
enum UpdateSpec {
    case operators(BSONDocument)
    case pipeline([BSONDocument])

    /// The stages of a pipeline update, with `let` variables substituted.
    ///
    /// - Throws: `FailedToParse` (9) for a stage that is not a document.
    static func stages(_ values: [BSONValue], bindings: LetBindings) throws(MongoError) -> [BSONDocument] {
        var stages: [BSONDocument] = []
        for value in values {
            guard case let .document(stage) = bindings.substituting(in: value) else {
                throw MongoError(.failedToParse, "Each element of the 'pipeline' array must be an object")
            }
            stages.append(stage)
        }
        return stages
    }

    /// Runs this update on `collection`.
    func run(on collection: QueryCollection, filter: BSONDocument, options: UpdateOptions) throws(MongoError) -> UpdateResult {
        switch self {
        case let .operators(update): try collection.update(filter, update, options: options)
        case let .pipeline(stages): try collection.update(filter, pipeline: stages, options: options)
        }
    }
}
