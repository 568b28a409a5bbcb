// The collMod command: a collection's validator, validation level and action, pre- and
// post-images, capped bounds and one index's hidden/expireAfterSeconds/prepareUnique/unique;
// a view's viewOn and pipeline. The whole request is parsed and checked before anything
// changes, so a bad request changes nothing; the changes go through the Query engine, which
// then logs the `modify` event change streams report (showExpandedEvents).

import BSON
import Query

/// collMod.
enum CollModCommand {
    static let handlers: [CommandHandler] = [
        CommandHandler(["collMod"], help: "changes a collection's or a view's options") { (context) throws(MongoError) -> BSONDocument in
            try collMod(context)
        },
    ]

    /// collMod's own fields.
    static let fields: Set<String> = [
        "validator", "validationLevel", "validationAction", "index", "viewOn", "pipeline",
        "changeStreamPreAndPostImages", "cappedSize", "cappedMax", "expireAfterSeconds", "timeseries", "dryRun",
    ]

    /// collMod.
    ///
    /// - Throws: `Location40415` for an unknown field; `NamespaceNotFound` (26) when nothing
    ///   has the name; `InvalidOptions` (72) for an option the target does not take (view
    ///   options on a collection, collection options on a view) or a bad `index` request;
    ///   `IndexNotFound` (27); `CannotConvertIndexToUnique` (359); the validator's errors.
    static func collMod(_ context: CommandContext) throws(MongoError) -> BSONDocument {
        let namespace = try context.collectionNamespace()
        let given = context.body.dropFirst().filter { !HandshakeCommands.genericFields.contains($0.key) }
        if let unknown = given.first(where: { !fields.contains($0.key) }) {
            throw MongoError(.location(40415), "BSON field 'collMod.\(unknown.key)' is an unknown field.")
        }
        let engine = context.engine
        if try engine.view(namespace) != nil { return try modifyView(context, namespace, given: given) }
        guard let description = engine.collectionDescription(namespace) else {
            throw MongoError(.namespaceNotFound, "ns does not exist")
        }
        var options = description.options
        var indexChange: IndexChange?
        var dryRun = false
        for (key, value) in given {
            switch key {
            case "viewOn", "pipeline":
                throw MongoError(.invalidOptions, "'\(key)' option only supported on a view")
            case "validator", "validationLevel", "validationAction":
                try CollectionCommands.checkValidationOption(key, value, command: "collMod")
                options[key] = value
            case "changeStreamPreAndPostImages":
                guard case .document(let spec) = value, spec.keys == ["enabled"], spec["enabled"]?.boolValue != nil else {
                    throw MongoError(.typeMismatch, "BSON field 'collMod.changeStreamPreAndPostImages' must be {enabled: <bool>}")
                }
                options[key] = value
            case "cappedSize", "cappedMax":
                guard options["capped"]?.boolValue == true else {
                    throw MongoError(.invalidOptions, "Unable to set '\(key)' on a non-capped collection: \(namespace)")
                }
                guard value.isNumeric, let number = ClientNumber.saturatedInteger(value) else {
                    throw MongoError(.typeMismatch,
                                     "BSON field 'collMod.\(key)' is the wrong type '\(value.type.alias)', expected types '[long, int, decimal, double]'")
                }
                if key == "cappedSize" {
                    guard number > 0 else { throw MongoError(.invalidOptions, "Capped collection size must be greater than 0") }
                    options["size"] = .int64(number)
                } else {
                    options["max"] = number > 0 ? BSONValue?.some(.int64(number)) : BSONValue?.none
                }
            case "expireAfterSeconds", "timeseries":
                throw MongoError(.invalidOptions, "'\(key)' is only supported on time-series and clustered collections")
            case "index":
                indexChange = try IndexChange(value, on: description)
            case "dryRun":
                dryRun = try context.bool("dryRun") ?? false
            default:
                break
            }
        }
        if dryRun && indexChange?.unique != true {
            throw MongoError(.invalidOptions, "dryRun requires an 'index' option with 'unique: true'")
        }
        var reply = BSONDocument()
        if let indexChange {
            reply = try indexChange.apply(on: namespace, context: context, dryRun: dryRun)
            if dryRun { return reply }
        }
        if options != description.options { try engine.setCollectionOptions(namespace, options: options) }
        var before: BSONDocument = ["uuid": CollectionCommands.uuid(for: description)]
        for element in description.options { before.append(element.key, element.value) }
        var state: BSONDocument = ["collectionOptions": .document(before)]
        if let indexChange {
            var indexOptions = BSONDocument()
            for key in indexChange.changes.keys + (indexChange.unique ? ["unique"] : []) {
                indexOptions.append(key, indexChange.index.options[key] ?? (key == "expireAfterSeconds" ? .null : .bool(false)))
            }
            state.append("indexOptions", .document(indexOptions))
        }
        try engine.recordModification(namespace, description: Self.document(given), stateBefore: state)
        return reply
    }

    /// collMod's fields as a document (a modify event's `operationDescription`).
    private static func document(_ fields: [(key: String, value: BSONValue)]) -> BSONDocument {
        var document = BSONDocument()
        for (key, value) in fields where key != "dryRun" { document.append(key, value) }
        return document
    }

    /// collMod of a view: `viewOn` and `pipeline` only.
    private static func modifyView(_ context: CommandContext, _ namespace: Namespace,
                                   given: [(key: String, value: BSONValue)]) throws(MongoError) -> BSONDocument {
        var viewOn: String?
        var pipeline: [BSONDocument]?
        for (key, value) in given {
            switch key {
            case "viewOn":
                guard case .string(let name) = value, !name.isEmpty else {
                    throw MongoError(.invalidOptions, "'viewOn' option must be a non-empty string")
                }
                viewOn = name
            case "pipeline":
                pipeline = try ViewCommands.stages(value, command: "collMod")
            default:
                throw MongoError(.invalidOptions, "option not supported on a view: \(key)")
            }
        }
        if viewOn != nil || pipeline != nil { try context.engine.modifyView(namespace, viewOn: viewOn, pipeline: pipeline) }
        try context.engine.recordModification(namespace, description: document(given), stateBefore: nil)
        return BSONDocument()
    }
}

extension MongoError.Code {
    /// 359: an index cannot become unique: documents share a key.
    static let cannotConvertIndexToUnique = MongoError.Code(359, "CannotConvertIndexToUnique")
}

/// collMod's `index` option: which index, and what changes.
struct IndexChange {
    let index: IndexDescription
    /// `hidden`, `expireAfterSeconds`, `prepareUnique` to store.
    var changes = BSONDocument()
    /// `unique: true`: convert the index.
    var unique = false

    /// Parses `{name | keyPattern, hidden, expireAfterSeconds, prepareUnique, unique}`.
    init(_ value: BSONValue, on description: CollectionDescription) throws(MongoError) {
        guard case .document(let spec) = value else {
            throw MongoError(.typeMismatch, "BSON field 'collMod.index' is the wrong type '\(value.type.alias)', expected type 'object'")
        }
        let known: Set<String> = ["name", "keyPattern", "hidden", "expireAfterSeconds", "prepareUnique", "unique", "forceNonUnique"]
        if let unknown = spec.keys.first(where: { !known.contains($0) }) {
            throw MongoError(.location(40415), "BSON field 'collMod.index.\(unknown)' is an unknown field.")
        }
        index = try Self.target(spec, in: description)
        if let hidden = spec["hidden"] {
            guard case .bool(let flag) = hidden else { throw MongoError(.invalidOptions, "hidden field must be a boolean") }
            if index.isIDIndex { throw MongoError(.badValue, "can't hide _id index") }
            if flag != index.isHidden { changes.append("hidden", flag ? .bool(true) : .null) }
        }
        if let seconds = spec["expireAfterSeconds"] {
            guard seconds.isNumeric, let value = ClientNumber.saturatedInteger(seconds) else {
                throw MongoError(.invalidOptions, "expireAfterSeconds field must be a number")
            }
            guard index.options["expireAfterSeconds"] != nil else {
                throw MongoError(.invalidOptions, "no expireAfterSeconds field to update")
            }
            guard value >= 0, value <= Int64(Int32.max) else {
                throw MongoError(.invalidOptions, "TTL index 'expireAfterSeconds' option must be within an acceptable range")
            }
            changes.append("expireAfterSeconds", .int64(value))
        }
        if let prepare = spec["prepareUnique"] {
            guard case .bool(let flag) = prepare else { throw MongoError(.invalidOptions, "prepareUnique field must be a boolean") }
            if index.isUnique && flag { throw MongoError(.invalidOptions, "Cannot set 'prepareUnique' on an index that is already unique") }
            changes.append("prepareUnique", flag ? .bool(true) : .null)
        }
        if let converting = spec["unique"] {
            guard case .bool(true) = converting else {
                throw MongoError(.badValue, "The field 'unique' can only be set to true on collMod")
            }
            guard !index.isUnique else { throw MongoError(.invalidOptions, "The index is already unique") }
            guard index.options["prepareUnique"]?.boolValue == true || changes["prepareUnique"] == .bool(true) else {
                throw MongoError(.invalidOptions, "Cannot make index unique with 'prepareUnique=false'. Run collMod to set it first.")
            }
            unique = true
        }
        if spec["forceNonUnique"] != nil {
            throw MongoError(.commandNotSupported, "collMod 'forceNonUnique' is not supported by Tessera")
        }
        if spec["hidden"] == nil && spec["expireAfterSeconds"] == nil && spec["prepareUnique"] == nil && spec["unique"] == nil {
            throw MongoError(.invalidOptions, "no expireAfterSeconds, hidden, prepareUnique or unique field")
        }
    }

    /// The index `spec` names by `name` or `keyPattern`.
    private static func target(_ spec: BSONDocument, in description: CollectionDescription) throws(MongoError) -> IndexDescription {
        switch (spec["name"], spec["keyPattern"]) {
        case (.some, .some):
            throw MongoError(.invalidOptions, "Cannot specify both key pattern and name.")
        case (nil, nil):
            throw MongoError(.invalidOptions, "Must specify either index name or key pattern.")
        case (.some(let name), nil):
            guard case .string(let text) = name else { throw MongoError(.invalidOptions, "Index name must be a string.") }
            guard let index = description.indexes.first(where: { $0.name == text }) else {
                throw MongoError(.indexNotFound, "cannot find index \(text) for ns \(description.namespace)")
            }
            return index
        case (nil, .some(let pattern)):
            guard case .document(let key) = pattern else { throw MongoError(.invalidOptions, "Key pattern must be an object.") }
            return try IndexCommands.index(withKey: key, in: description)
        }
    }

    /// Applies the change; the reply's `<option>_old`/`<option>_new` fields.
    ///
    /// A `unique` conversion rebuilds the index as unique under its name (the old index is
    /// restored when documents share a key, with CannotConvertIndexToUnique); with `dryRun`
    /// only the check runs.
    func apply(on namespace: Namespace, context: CommandContext, dryRun: Bool) throws(MongoError) -> BSONDocument {
        let engine = context.engine
        var reply = BSONDocument()
        if unique {
            try checkNoDuplicates(namespace, context: context)
            if dryRun { return reply }
        }
        if !changes.isEmpty {
            try engine.setIndexOptions(index.name, on: namespace, changes: changes)
            for (key, value) in changes.elements {
                let old = index.options[key] ?? (key == "expireAfterSeconds" ? .null : .bool(false))
                reply.append("\(key)_old", old)
                reply.append("\(key)_new", value == .null ? .bool(false) : value)
            }
        }
        if unique {
            var options = engine.indexes(of: namespace)?.first { $0.name == index.name }?.options ?? index.options
            options["prepareUnique"] = nil
            options["unique"] = .bool(true)
            try engine.dropIndex(index.name, on: namespace)
            do {
                try engine.createIndex(on: namespace, key: index.key, name: index.name, options: options, interrupt: context.interrupt)
            } catch {
                try engine.createIndex(on: namespace, key: index.key, name: index.name, options: index.options)
                if error.code == .duplicateKey {
                    throw MongoError(.cannotConvertIndexToUnique, "Cannot convert the index to unique. Please resolve conflicting documents before running collMod again.")
                }
                throw error
            }
            reply.append("unique_new", .bool(true))
        }
        return reply
    }

    /// Throws CannotConvertIndexToUnique (359), with `violations: [{ids}]`, when documents
    /// share a key of the index.
    private func checkNoDuplicates(_ namespace: Namespace, context: CommandContext) throws(MongoError) {
        var groupKey = BSONDocument()
        for field in index.key.keys { groupKey.append(field.split(separator: ".").joined(separator: "_"), .string("$" + field)) }
        let stages: [BSONDocument] = [
            ["$group": ["_id": .document(groupKey), "ids": ["$push": "$_id"], "count": ["$sum": 1]]],
            ["$match": ["count": ["$gt": 1]]],
        ]
        let groups = try context.collection(namespace).aggregate(stages, options: AggregateOptions(allowDiskUse: true))
        guard !groups.isEmpty else { return }
        let violations: [BSONValue] = groups.map { .document(["ids": $0["ids"] ?? .array([])]) }
        throw MongoError(.cannotConvertIndexToUnique,
                         "Cannot convert the index to unique. Please resolve conflicting documents before running collMod again.",
                         details: ["violations": .array(violations)])
    }
}
