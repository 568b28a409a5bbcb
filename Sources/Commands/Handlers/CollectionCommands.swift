// Collection and database commands: create, drop, dropDatabase, renameCollection,
// listDatabases, listCollections, collStats, dbStats and validate.

import BSON
import Query

/// Collection and database commands.
enum CollectionCommands {
    static let handlers: [CommandHandler] = [
        CommandHandler(["create"], help: "creates a collection") { (context) throws(MongoError) -> BSONDocument in try create(context) },
        CommandHandler(["drop"], help: "drops a collection") { (context) throws(MongoError) -> BSONDocument in try drop(context) },
        CommandHandler(["dropDatabase"], help: "drops a database") { (context) throws(MongoError) -> BSONDocument in
            guard context.database != "admin" else {
                throw MongoError(.illegalOperation, "Dropping the 'admin' database is prohibited.")
            }
            try context.engine.dropDatabase(context.database)
            return ["dropped": .string(context.database)]
        },
        CommandHandler(["renameCollection"], help: "renames a collection (admin database)") { (context) throws(MongoError) -> BSONDocument in
            try renameCollection(context)
        },
        CommandHandler(["listDatabases"], help: "the databases") { (context) throws(MongoError) -> BSONDocument in try listDatabases(context) },
        CommandHandler(["listCollections"], help: "the collections of a database") { (context) throws(MongoError) -> BSONDocument in
            try listCollections(context)
        },
        CommandHandler(["collStats"], help: "a collection's sizes and counts") { (context) throws(MongoError) -> BSONDocument in try collStats(context) },
        CommandHandler(["dbStats"], help: "a database's sizes and counts") { (context) throws(MongoError) -> BSONDocument in try dbStats(context) },
        CommandHandler(["validate"], help: "reads every document of a collection back and checks its indexes against them") { (context) throws(MongoError) -> BSONDocument in
            try validate(context)
        },
    ] + CollModCommand.handlers

    /// create's options MongoDB has and Tessera does not (rejected with CommandNotSupported).
    static let unsupportedCreateOptions: Set<String> = [
        "timeseries", "clusteredIndex", "expireAfterSeconds", "encryptedFields",
        "autoIndexId", "temp", "recordPreImages",
    ]
    /// create's and collMod's schema validation options (checked, then kept verbatim).
    static let validationOptions: Set<String> = ["validator", "validationLevel", "validationAction"]
    /// create's options accepted and kept verbatim.
    static let acceptedCreateOptions: Set<String> = [
        "storageEngine", "indexOptionDefaults", "idIndex", "flags", "capped", "size", "max", "changeStreamPreAndPostImages",
        "collation",
    ]

    /// create.
    ///
    /// Capped collections keep `capped`, `size` and `max`; `changeStreamPreAndPostImages`
    /// makes the change log keep pre-images.
    ///
    /// With `viewOn`, creates a view (ViewCommands). `validator`, `validationLevel` and
    /// `validationAction` are checked and kept: writes are validated (DocumentValidator).
    ///
    /// - Throws: `CommandNotSupported` (115) for time series and clustered collections;
    ///   the collation errors for a bad `collation`; `Location40415` for an option MongoDB does not know;
    ///   `InvalidOptions` (72) for `pipeline` without `viewOn`; the validator's parse errors;
    ///   `NamespaceExists` (48) when the collection or a view exists. Inside a transaction
    ///   the collection exists for others once it commits; a view or a capped collection is
    ///   refused there with `OperationNotSupportedInTransaction` (263), as mongod does.
    static func create(_ context: CommandContext) throws(MongoError) -> BSONDocument {
        let namespace = try context.collectionNamespace()
        if context.body["viewOn"] != nil {
            if context.transaction != nil {
                throw MongoError(.operationNotSupportedInTransaction, "Cannot create a view in a multi-document transaction.")
            }
            return try ViewCommands.createView(context, namespace)
        }
        if context.body["pipeline"] != nil {
            throw MongoError(.invalidOptions, "'pipeline' requires 'viewOn' to also be specified")
        }
        var options = BSONDocument()
        for element in context.body.dropFirst() where !HandshakeCommands.genericFields.contains(element.key) {
            if validationOptions.contains(element.key) {
                try checkValidationOption(element.key, element.value, command: "create")
                if element.key == "validator", element.value.documentValue?.isEmpty == true { continue }
                options.append(element.key, element.value)
                continue
            }
            if unsupportedCreateOptions.contains(element.key) {
                throw MongoError(.commandNotSupported, "create option '\(element.key)' is not supported by Tessera")
            }
            guard acceptedCreateOptions.contains(element.key) else {
                throw MongoError(.location(40415), "BSON field 'create.\(element.key)' is an unknown field.")
            }
            options.append(element.key, element.value)
        }
        if options["capped"]?.boolValue != true {
            options["capped"] = nil
            if options["size"] != nil || options["max"] != nil {
                throw MongoError(.invalidOptions, "the 'size' and 'max' options need 'capped: true'")
            }
        }
        if let images = options["changeStreamPreAndPostImages"] {
            guard case let .document(spec) = images, spec.keys == ["enabled"], spec["enabled"]?.boolValue != nil else {
                throw MongoError(.typeMismatch, "BSON field 'create.changeStreamPreAndPostImages' must be {enabled: <bool>}")
            }
        }
        do {
            try context.engine.createCollection(namespace, options: options, in: context.transaction)
        } catch where error.code == .namespaceExists {
            throw MongoError(.namespaceExists, "Collection \(namespace) already exists.")
        }
        return BSONDocument()
    }

    /// Checks one of `validationOptions` for `command` (create or collMod).
    static func checkValidationOption(_ key: String, _ value: BSONValue, command: String) throws(MongoError) {
        switch key {
        case "validator": try DocumentValidator.checkValidator(value, command: command)
        case "validationLevel": try DocumentValidator.checkLevel(value, command: command)
        default: try DocumentValidator.checkAction(value, command: command)
        }
    }

    /// drop: succeeds for a missing collection, as MongoDB 7.0 does; drops a view too.
    static func drop(_ context: CommandContext) throws(MongoError) -> BSONDocument {
        let namespace = try context.collectionNamespace()
        if try context.engine.dropView(namespace) { return ["ns": .string(namespace.description)] }
        guard let description = context.engine.collectionDescription(namespace) else { return BSONDocument() }
        do {
            try context.engine.dropCollection(namespace)
        } catch where error.code == .namespaceNotFound {
            return BSONDocument()
        }
        return ["nIndexesWas": .int32(Int32(description.indexes.count)), "ns": .string(namespace.description)]
    }

    /// renameCollection: `{renameCollection: "db.a", to: "db.b", dropTarget}` on admin.
    /// One catalog change: documents and indexes stay in place (logged as one `rename`).
    static func renameCollection(_ context: CommandContext) throws(MongoError) -> BSONDocument {
        guard context.database == "admin" else {
            throw MongoError(.unauthorized, "renameCollection may only be run against the admin database.")
        }
        guard case let .string(from) = context.firstValue else {
            throw MongoError(.typeMismatch, "BSON field 'renameCollection.renameCollection' is the wrong type '\(context.firstValue.type.alias)', expected type 'string'")
        }
        guard let to = try context.string("to") else {
            throw MongoError(.location(40414), "BSON field 'renameCollection.to' is missing but a required field")
        }
        let source = try Self.namespace(from)
        let target = try Self.namespace(to)
        let dropTarget = try context.bool("dropTarget") ?? false
        guard source != target else { throw MongoError(.illegalOperation, "Can't rename a collection to itself") }
        try context.engine.renameCollection(source, to: target, dropTarget: dropTarget)
        return BSONDocument()
    }

    /// `db.collection` split at its first dot.
    static func namespace(_ full: String) throws(MongoError) -> Namespace {
        guard let dot = full.firstIndex(of: ".") else {
            throw MongoError(.invalidNamespace, "Invalid target namespace: \(full)")
        }
        return try Namespace(database: String(full[..<dot]), collection: String(full[full.index(after: dot)...]))
    }

    /// listDatabases (`nameOnly`, `filter` on `{name, sizeOnDisk, empty}`). A database's
    /// `sizeOnDisk` is the store's disk usage shared out by document count (the store does
    /// not keep per-database files). `config` and `local` are listed, as mongod lists them, when
    /// the store keeps retryable-write records or change log entries (their bytes as size);
    /// `admin` when it holds users.
    static func listDatabases(_ context: CommandContext) throws(MongoError) -> BSONDocument {
        let nameOnly = try context.bool("nameOnly") ?? false
        let filter = try context.document("filter").map { (spec) throws(MongoError) -> Filter in try Filter(spec) }
        let engine = context.engine
        let sized = nameOnly ? nil : try engine.sizedDatabases()
        let entries: [BSONDocument] = if let sized {
            sized.databases.map { ["name": .string($0.name), "sizeOnDisk": .int64($0.sizeOnDisk), "empty": .bool(false)] }
        } else {
            try engine.listedDatabases().names.map { ["name": .string($0)] }
        }
        let databases = entries.filter { filter?.matches($0) ?? true }.map(BSONValue.document)
        var reply: BSONDocument = ["databases": .array(databases)]
        if let sized {
            reply.append("totalSize", .int64(sized.totalSize))
            reply.append("totalSizeMb", .int64(sized.totalSize / (1024 * 1024)))
        }
        return reply
    }

    /// A stable UUID for a collection (MongoDB's `info.uuid`), derived from its internal id.
    static func uuid(for description: CollectionDescription) -> BSONValue {
        .binary(description.uuid)
    }

    /// listCollections' `idIndex`: `{v, key, name}` and the index's options (the collection's
    /// default collation, which the `_id` index carries).
    private static func idIndexDocument(_ description: CollectionDescription) -> BSONDocument {
        var document: BSONDocument = ["v": .int32(2), "key": .document(["_id": .int32(1)]), "name": "_id_"]
        for element in description.indexes.first(where: \.isIDIndex)?.options ?? BSONDocument() {
            document.append(element.key, element.value)
        }
        return document
    }

    /// listCollections (`filter` on `{name, type, options, info}`, `nameOnly`, cursor reply).
    static func listCollections(_ context: CommandContext) throws(MongoError) -> BSONDocument {
        let nameOnly = try context.bool("nameOnly") ?? false
        _ = try context.bool("authorizedCollections")
        let filter = try context.document("filter").map { (spec) throws(MongoError) -> Filter in try Filter(spec) }
        let batchSize = try context.document("cursor")?["batchSize"]?.int64Value.map { Int($0) }
        var entries: [BSONDocument] = []
        for description in context.engine.collections(in: context.database) {
            let full: BSONDocument = [
                "name": .string(description.namespace.collection),
                "type": "collection",
                "options": .document(description.options),
                "info": .document(["readOnly": .bool(false), "uuid": uuid(for: description)]),
                "idIndex": .document(idIndexDocument(description)),
            ]
            if let filter, !filter.matches(full) { continue }
            entries.append(nameOnly ? ["name": .string(description.namespace.collection), "type": "collection"] : full)
        }
        for view in try ViewCommands.listEntries(context) {
            if let filter, !filter.matches(view) { continue }
            entries.append(nameOnly ? ["name": view["name"] ?? .null, "type": "view"] : view)
        }
        entries.sort { ($0["name"]?.stringValue ?? "").utf8.lexicographicallyPrecedes(($1["name"]?.stringValue ?? "").utf8) }
        return try QueryCommands.cursorReply(context, namespace: "\(context.database).$cmd.listCollections",
                                             documents: entries, batchSize: batchSize, singleBatch: false)
    }

    private static func scale(_ context: CommandContext) throws(MongoError) -> Int {
        guard let scale = try context.integer("scale") else { return 1 }
        guard scale >= 1 else { throw MongoError(.badValue, "Scale factor must be greater than zero") }
        return Int(scale)
    }

    /// collStats.
    static func collStats(_ context: CommandContext) throws(MongoError) -> BSONDocument {
        let namespace = try context.collectionNamespace()
        let scale = try scale(context)
        try ViewCommands.refuseView(context, namespace)
        guard let description = context.engine.collectionDescription(namespace) else {
            throw MongoError(.namespaceNotFound, "Collection [\(namespace)] not found.")
        }
        let sizes = try context.engine.statistics(of: description, interrupt: context.interrupt)
        var reply: BSONDocument = ["ns": .string(namespace.description)]
        let stats = sizes.storageStats(scale: scale, capped: context.engine.collection(namespace).cappedLimits)
        for (field, value) in stats.elements { reply.append(field, value) }
        return reply
    }

    /// Refuses validate's option pairs mongod refuses (its parseValidateOptions), each with
    /// InvalidOptions (72): `background` with `full`, `enforceFastCount` or `repair`;
    /// `repair` with `enforceFastCount` or `checkBSONConformance`, or at all on a replica set
    /// member (which Tessera presents itself as); `metadata` with any of them.
    static func checkValidateOptions(_ body: BSONDocument) throws(MongoError) {
        func flag(_ name: String) -> Bool { AuthorizationTable.truthy(body[name]) }
        let refusedPairs = [("background", "full"), ("background", "enforceFastCount"), ("background", "repair"),
                            ("enforceFastCount", "repair"), ("checkBSONConformance", "repair")]
        for (first, second) in refusedPairs where flag(first) && flag(second) {
            throw MongoError(.invalidOptions,
                             "Running the validate command with both { \(first): true } and { \(second): true } is not supported.")
        }
        if flag("repair") {
            throw MongoError(.invalidOptions,
                             "Running the validate command with { repair: true } can only be performed in standalone mode.")
        }
        let others = ["background", "full", "enforceFastCount", "checkBSONConformance"]
        if flag("metadata"), others.contains(where: flag) {
            throw MongoError(.invalidOptions, "Running the validate command with { metadata: true } is not supported with any other options")
        }
    }

    /// dbStats.
    static func dbStats(_ context: CommandContext) throws(MongoError) -> BSONDocument {
        let scale = try scale(context)
        var objects = 0
        var dataSize = 0
        var indexes = 0
        var indexSize = 0
        let collections = context.engine.collections(in: context.database)
        for description in collections {
            try context.checkForInterrupt()
            let sizes = try context.engine.statistics(of: description, interrupt: context.interrupt)
            objects += sizes.count
            dataSize += sizes.size
            indexes += sizes.indexCount
            indexSize += sizes.totalIndexSize
        }
        let usage = Int64(clamping: (try? context.engine.diskUsage()) ?? 0)
        return [
            "db": .string(context.database),
            "collections": .int64(Int64(collections.count)),
            "views": .int64(Int64(try context.engine.views(in: context.database).count)),
            "objects": .int64(Int64(objects)),
            "avgObjSize": .double(objects == 0 ? 0 : Double(dataSize) / Double(objects)),
            "dataSize": .double(Double(dataSize / scale)),
            "storageSize": .double(Double(dataSize / scale)),
            "indexes": .int64(Int64(indexes)),
            "indexSize": .double(Double(indexSize / scale)),
            "totalSize": .double(Double((dataSize + indexSize) / scale)),
            "scaleFactor": .int64(Int64(scale)),
            "fsUsedSize": .double(Double(usage / Int64(scale))),
            "fsTotalSize": .double(Double(usage / Int64(scale))),
        ]
    }

    /// validate: reads every document back (decoding each record) and checks it is a valid
    /// document with an `_id`, then checks every secondary index against the documents (each
    /// entry they generate present, no other). With `full: true` it also reads every data file
    /// of the store back from disk and checks its checksums (RocksDB's SST blocks: the whole
    /// store's files, not only the collection's, since they are shared); a file that fails
    /// makes the collection invalid, with the file named in `errors`.
    static func validate(_ context: CommandContext) throws(MongoError) -> BSONDocument {
        let namespace = try context.collectionNamespace()
        try checkValidateOptions(context.body)
        guard let description = context.engine.collectionDescription(namespace) else {
            throw MongoError(.namespaceNotFound, "Collection '\(namespace)' does not exist to validate.")
        }
        var records = 0
        var invalid = 0
        var errors: [BSONValue] = []
        try context.engine.collection(namespace).interrupted(by: context.interrupt).forEachDocument { (document) throws(MongoError) -> Bool in
            records += 1
            if document["_id"] == nil || BSONSize.of(document) > Int(HandshakeCommands.maxBsonObjectSize) {
                invalid += 1
                if errors.count < 10 { errors.append(.string("document without _id or over 16 MiB")) }
            }
            return true
        }
        // Every secondary index against the documents: each entry a document generates is
        // present, and the index holds no other (counts).
        guard let checked = try context.engine.checkConsistency(of: namespace, interrupt: context.interrupt) else {
            throw MongoError(.namespaceNotFound, "Collection '\(namespace)' does not exist to validate.")
        }
        var keysPerIndex: BSONDocument = ["_id_": .int64(Int64(records))]
        var indexDetails: BSONDocument = ["_id_": .document(["valid": .bool(true)])]
        var missing = 0
        var extra = 0
        for index in checked.indexes {
            keysPerIndex[index.name] = .int64(Int64(index.storedEntries))
            indexDetails[index.name] = .document(["valid": .bool(index.isConsistent)])
            missing += index.missingEntries
            extra += index.extraEntries
            if index.missingEntries > 0 {
                errors.append(.string("index '\(index.name)' lacks \(index.missingEntries) entries its documents generate"))
            }
            if index.extraEntries > 0 {
                errors.append(.string("index '\(index.name)' has \(index.extraEntries) entries that no document generates"))
            }
        }
        for problem in checked.problems.prefix(10) where !problem.contains("lacks the entry") {
            errors.append(.string(problem))
        }
        invalid = max(invalid, checked.invalidDocuments)
        // Tessera's own field: what full validation read back (absent otherwise).
        var fileChecksums: BSONDocument?
        if try context.bool("full") ?? false, let files = try context.engine.verifyFileChecksums(interrupt: context.interrupt) {
            for failure in files.failures.prefix(10) {
                errors.append(.string("data file failed its checksums: \(failure)"))
            }
            fileChecksums = ["filesChecked": .int64(Int64(files.filesChecked)), "bytesChecked": .int64(Int64(clamping: files.bytesChecked)),
                             "filesFailed": .int64(Int64(files.failures.count))]
        }
        var reply: BSONDocument = [
            "ns": .string(namespace.description),
            "uuid": uuid(for: description),
            "nInvalidDocuments": .int64(Int64(invalid)),
            "nNonCompliantDocuments": .int64(0),
            "nrecords": .int64(Int64(records)),
            "nIndexes": .int32(Int32(description.indexes.count)),
            "keysPerIndex": .document(keysPerIndex),
            "indexDetails": .document(indexDetails),
            "valid": .bool(errors.isEmpty),
            "repaired": .bool(false),
            "warnings": .array([]),
            "errors": .array(errors),
            "extraIndexEntries": .array(extra > 0 ? [.document(["count": .int64(Int64(extra))])] : []),
            "missingIndexEntries": .array(missing > 0 ? [.document(["count": .int64(Int64(missing))])] : []),
            "corruptRecords": .array([]),
        ]
        if let fileChecksums { reply["tesseraFileChecksums"] = .document(fileChecksums) }
        return reply
    }
}
