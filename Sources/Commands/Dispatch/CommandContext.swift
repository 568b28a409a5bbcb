// CommandContext: one command as a handler sees it — the body, database, connection and
// shared state — with MongoDB's argument checks (typed getters that fail with the IDL's
// "BSON field 'cmd.x' is the wrong type" errors) and the maxTimeMS/killOp interrupt check.

import BSON
import Query

/// One command being run.
struct CommandContext {
    /// The command's name as sent (its first key).
    let name: String
    /// The request.
    let request: CommandRequest
    /// The connection it arrived on.
    let connection: ConnectionInfo
    /// Shared server state.
    let server: ServerState
    /// The running-operation record (killOp target).
    let operation: Operation
    /// When maxTimeMS runs out, if given.
    let deadline: ContinuousClock.Instant?
    /// The multi-document transaction the command runs in, if any.
    var transaction: QueryTransaction?
    /// For an insert, update or delete run as a retryable write: its statement ids and those a
    /// retry finds executed (Sessions/RetryableWriteProgress.swift).
    var retryableWrite: RetryableWriteProgress?

    /// The command document.
    var body: BSONDocument { request.body }
    /// The target database.
    var database: String { request.database }
    /// The command's first value (`find: "c"` → `"c"`).
    var firstValue: BSONValue { body.first?.value ?? .null }
    /// The query engine.
    var engine: QueryEngine { server.engine }

    /// The command's interrupt — its maxTimeMS deadline and its killOp switch — which the
    /// query engine polls inside scans, sorts and blocking stages.
    var interrupt: OperationInterrupt {
        OperationInterrupt(deadline: deadline, killSwitch: operation.killSwitch, tally: operation.tally)
    }

    /// Throws `MaxTimeMSExpired` (50) past the deadline, `Interrupted` (11601) after killOp.
    func checkForInterrupt() throws(MongoError) {
        try interrupt.check()
    }

    // MARK: Namespaces

    /// The collection the first value names, in this database.
    ///
    /// - Throws: `InvalidNamespace` (73) when it is not a string or not a valid name.
    func collectionNamespace() throws(MongoError) -> Namespace {
        guard case let .string(collection) = firstValue else {
            throw MongoError(.invalidNamespace, "collection name has invalid type \(firstValue.type.alias)")
        }
        return try Namespace(database: database, collection: collection)
    }

    /// Query operations on `namespace`: inside the command's transaction when it has one,
    /// stopped by the command's interrupt.
    func collection(_ namespace: Namespace) -> QueryCollection {
        guard let transaction else { return engine.collection(namespace).interrupted(by: interrupt) }
        return transaction.collection(namespace, interrupt: interrupt)
    }

    /// The command's `let` variables, evaluated (empty without `let`).
    func letBindings() throws(MongoError) -> LetBindings {
        try LetBindings(try document("let") ?? BSONDocument())
    }

    /// The session id of the command's `lsid`, if any.
    var sessionID: BSONBinary? {
        guard case let .document(lsid)? = body["lsid"], case let .binary(id)? = lsid["id"] else { return nil }
        return id
    }

    // MARK: Typed arguments

    private func wrongType(_ key: String, _ value: BSONValue, expected: String) -> MongoError {
        MongoError(.typeMismatch,
                   "BSON field '\(name).\(key)' is the wrong type '\(value.type.alias)', expected \(expected)")
    }

    /// A numeric argument as an integer (doubles truncate, as the IDL's safeInt does).
    func integer(_ key: String) throws(MongoError) -> Int64? {
        guard let value = body[key] else { return nil }
        switch value {
        case let .int32(number): return Int64(number)
        case let .int64(number): return number
        case let .double(number):
            guard number.isFinite, let integer = ClientNumber.int64(saturating: number) else {
                throw MongoError(.badValue, "BSON field '\(name).\(key)' must be finite")
            }
            return integer
        case let .decimal128(number):
            guard !number.isNaN, !number.isInfinite, let integer = ClientNumber.saturatedInteger(value) else {
                throw MongoError(.badValue, "BSON field '\(name).\(key)' must be finite")
            }
            return integer
        default:
            throw wrongType(key, value, expected: "types '[long, int, decimal, double]'")
        }
    }

    /// A non-negative integer argument.
    func nonNegativeInteger(_ key: String) throws(MongoError) -> Int? {
        guard let value = try integer(key) else { return nil }
        guard value >= 0 else {
            throw MongoError(.location(51024), "BSON field '\(key)' value must be >= 0, actual value '\(value)'")
        }
        return Int(value)
    }

    /// A Boolean argument (numbers count as true when non-zero, as MongoDB's safeBool).
    func bool(_ key: String) throws(MongoError) -> Bool? {
        guard let value = body[key] else { return nil }
        switch value {
        case let .bool(flag): return flag
        case .int32, .int64, .double, .decimal128: return value.doubleValue.map { $0 != 0 } ?? true
        case .null, .undefined: return nil
        default: throw wrongType(key, value, expected: "types '[bool, long, int, decimal, double]'")
        }
    }

    /// A string argument.
    func string(_ key: String) throws(MongoError) -> String? {
        guard let value = body[key] else { return nil }
        guard case let .string(string) = value else { throw wrongType(key, value, expected: "type 'string'") }
        return string
    }

    /// A document argument.
    func document(_ key: String) throws(MongoError) -> BSONDocument? {
        guard let value = body[key] else { return nil }
        guard case let .document(document) = value else { throw wrongType(key, value, expected: "type 'object'") }
        return document
    }

    /// An array argument.
    func array(_ key: String) throws(MongoError) -> [BSONValue]? {
        guard let value = body[key] else { return nil }
        guard case let .array(array) = value else { throw wrongType(key, value, expected: "type 'array'") }
        return array
    }

    /// A required array argument.
    func requiredArray(_ key: String) throws(MongoError) -> [BSONValue] {
        guard let array = try array(key) else {
            throw MongoError(.location(40414), "BSON field '\(name).\(key)' is missing but a required field")
        }
        return array
    }

    /// An array argument whose elements must be documents.
    func documents(_ key: String) throws(MongoError) -> [BSONDocument] {
        var documents: [BSONDocument] = []
        for (index, element) in try requiredArray(key).enumerated() {
            guard case let .document(document) = element else {
                throw MongoError(.typeMismatch,
                                 "BSON field '\(name).\(key).\(index)' is the wrong type '\(element.type.alias)', expected type 'object'")
            }
            documents.append(document)
        }
        return documents
    }

    /// `hint`: an index name or key pattern.
    func hint() throws(MongoError) -> BSONValue? {
        guard let value = body["hint"] else { return nil }
        switch value {
        case .string, .document: return value
        default: throw wrongType("hint", value, expected: "types '[string, object]'")
        }
    }

    /// The write concern's durability: `j: true` is journaled; `w` 0, 1 and "majority" are
    /// met by this one-member set. A `w` above 1 or a tag is accepted here (the write goes
    /// ahead) and reported afterwards by ``unsatisfiableWriteConcernError()``, as mongod does.
    ///
    /// - Throws: `FailedToParse` (9) for a negative `w`, one above 50, or malformed fields.
    func writeConcern() throws(MongoError) -> WriteConcern {
        guard let value = body["writeConcern"] else { return .acknowledged }
        guard case let .document(concern) = value else {
            throw wrongType("writeConcern", value, expected: "type 'object'")
        }
        if let w = concern["w"] {
            switch w {
            case .int32, .int64, .double:
                let number = w.doubleValue ?? 0
                guard number >= 0, number <= 50 else {
                    throw MongoError(.failedToParse, "w has to be a non-negative number and not greater than 50; found: \(number)")
                }
            case .string:
                break
            default:
                throw MongoError(.failedToParse, "w has to be a number or a string; found: \(w.type.alias)")
            }
        }
        let journal: Bool
        switch concern["j"] {
        case let .bool(flag)?: journal = flag
        case let number? where number.isNumeric: journal = (number.doubleValue ?? 0) != 0
        case nil, .null?: journal = false
        case let other?: throw wrongType("writeConcern.j", other, expected: "types '[bool, long, int, decimal, double]'")
        }
        if case .string("majority")? = concern["w"] { return .journaled }
        return journal ? .journaled : .acknowledged
    }

    /// The `writeConcernError` a one-member replica set reports once the write is applied:
    /// UnsatisfiableWriteConcern (100) for `w` above 1, UnknownReplWriteConcern (79) for a tag
    /// (this set's configuration has no tags); nil when the concern is met.
    func unsatisfiableWriteConcernError() -> BSONDocument? {
        guard case let .document(concern)? = body["writeConcern"], let w = concern["w"] else { return nil }
        let errInfo: BSONDocument = ["writeConcern": .document(["w": w, "wtimeout": .int32(0), "provenance": "clientSupplied"])]
        switch w {
        case .int32, .int64, .double:
            guard let number = w.doubleValue, number > 1, number <= 50 else { return nil }
            return ["code": .int32(100), "codeName": "UnsatisfiableWriteConcern",
                    "errmsg": "Not enough data-bearing nodes", "errInfo": .document(errInfo)]
        case .string("majority"):
            return nil
        case let .string(tag):
            return ["code": .int32(79), "codeName": "UnknownReplWriteConcern",
                    "errmsg": .string("No write concern mode named '\(tag)' found in replica set configuration"),
                    "errInfo": .document(errInfo)]
        default:
            return nil
        }
    }
}
