// Parameter commands: getParameter and setParameter over the server's ServerParameters
// registry (which owns names, types and checks). setParameter runs on the admin database only;
// changed values take effect live (the TTL monitor and reapers read the registry).

import BSON

/// getParameter and setParameter.
enum ParameterCommands {
    static let handlers: [CommandHandler] = [
        CommandHandler(["getParameter"], help: "server parameters") { (context) throws(MongoError) -> BSONDocument in
            try getParameter(context)
        },
        CommandHandler(["setParameter"], help: "sets a server parameter; replies with the value it had (was)") { (context) throws(MongoError) -> BSONDocument in
            try setParameter(context)
        },
        CommandHandler(["setFeatureCompatibilityVersion"], help: "sets the feature compatibility version (8.0 only)") { (context) throws(MongoError) -> BSONDocument in
            try setFeatureCompatibilityVersion(context)
        },
    ]

    /// The one feature compatibility version this server has.
    static let featureCompatibilityVersion = "8.0"

    /// setFeatureCompatibilityVersion: Tessera has one on-disk format, so only "8.0" (the
    /// current version) is accepted, with `confirm: true` as MongoDB 7.0+ demands.
    ///
    /// - Throws: `Unauthorized` (13) outside admin; `TypeMismatch` (14) for a non-string;
    ///   `BadValue` (2) for a version other than 8.0; 7369100 without `confirm: true`.
    static func setFeatureCompatibilityVersion(_ context: CommandContext) throws(MongoError) -> BSONDocument {
        guard context.database == "admin" else {
            throw MongoError(.unauthorized, "setFeatureCompatibilityVersion may only be run against the admin database.")
        }
        guard case let .string(version) = context.firstValue else {
            throw MongoError(.typeMismatch,
                             "BSON field 'setFeatureCompatibilityVersion' is the wrong type '\(context.firstValue.type.alias)', expected type 'string'")
        }
        guard version == featureCompatibilityVersion else {
            throw MongoError(.badValue,
                             "Enumeration value '\(version)' for field 'setFeatureCompatibilityVersion' is not a valid value. This server supports only \(featureCompatibilityVersion).")
        }
        guard try context.bool("confirm") == true else {
            throw MongoError(.location(7_369_100),
                             "Once you have upgraded to \(version), you will not be able to downgrade FCV and binary version without support assistance. Please re-run this command with 'confirm: true' to acknowledge this and continue with the FCV upgrade.")
        }
        return [:]
    }

    /// getParameter: `{getParameter: "*"}` or `{getParameter: {allParameters: true}}` returns
    /// every parameter, `{getParameter: 1, name: 1}` the named ones; `{getParameter:
    /// {showDetails: true}, ...}` gives each as `{value, settableAtRuntime, settableAtStartup}`.
    ///
    /// - Throws: `InvalidOptions` (72) when no named parameter is known.
    static func getParameter(_ context: CommandContext) throws(MongoError) -> BSONDocument {
        var everything = false
        var details = false
        switch context.firstValue {
        case .string("*"):
            everything = true
        case let .document(options):
            everything = options["allParameters"].map(truthy) ?? false
            details = options["showDetails"].map(truthy) ?? false
        default:
            break
        }
        let parameters = context.server.parameters
        let all = parameters.all
        var reply = BSONDocument()
        func append(_ name: String, _ value: BSONValue) {
            guard details, let definition = ServerParameters.definition(name) else {
                reply.append(name, value)
                return
            }
            reply.append(name, .document([
                "value": value,
                "settableAtRuntime": .bool(definition.settability == .startupAndRuntime),
                "settableAtStartup": .bool(definition.settability != .never),
            ]))
        }
        if everything {
            for element in all { append(element.key, element.value) }
            return reply
        }
        for element in context.body.dropFirst() where !element.key.hasPrefix("$") && !HandshakeCommands.genericFields.contains(element.key) {
            if let value = all[element.key] { append(element.key, value) }
        }
        guard !reply.isEmpty else { throw MongoError(.invalidOptions, "no option found to get") }
        return reply
    }

    /// setParameter: `{setParameter: 1, <name>: <value>}` → `{was: <old value>}`, on the admin
    /// database only. Every named parameter is checked before any is changed.
    ///
    /// - Throws: `Unauthorized` (13) off the admin database, `InvalidOptions` (72) for an
    ///   unknown name, `IllegalOperation` (20) for one not settable at runtime, `BadValue` (2)
    ///   for a wrong type or a value out of range, `NoSuchKey` (4) when nothing is named.
    static func setParameter(_ context: CommandContext) throws(MongoError) -> BSONDocument {
        guard context.database == "admin" else {
            throw MongoError(.unauthorized, "setParameter may only be run against the admin database.")
        }
        let parameters = context.server.parameters
        var changes: [(name: String, value: BSONValue)] = []
        for element in context.body.dropFirst() where !element.key.hasPrefix("$") && !HandshakeCommands.genericFields.contains(element.key) {
            guard let definition = ServerParameters.definition(element.key) else {
                throw MongoError(.invalidOptions, "attempted to set unrecognized parameter [\(element.key)], use help:true to see options ")
            }
            guard definition.settability == .startupAndRuntime else {
                throw MongoError(.illegalOperation, "not allowed to change [\(element.key)] at runtime")
            }
            changes.append((element.key, try ServerParameters.checked(element.value, for: definition)))
        }
        guard let first = changes.first else {
            throw MongoError(.noSuchKey, "no option found to set, use help:true to see options ")
        }
        var was: BSONValue = .null
        for change in changes {
            let old = try parameters.set(change.name, to: change.value)
            if change.name == first.name { was = old }
        }
        return ["was": was]
    }

    /// MongoDB's truthiness of an option: `false`, 0, null and undefined are false.
    private static func truthy(_ value: BSONValue) -> Bool {
        switch value {
        case let .bool(flag): flag
        case .null, .undefined: false
        case .int32, .int64, .double, .decimal128: ClientNumber.exactInteger(value) != 0
        default: true
        }
    }
}
