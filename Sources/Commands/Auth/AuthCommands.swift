// The authentication commands: saslStart/saslContinue (SCRAM-SHA-1 and SCRAM-SHA-256 through
// SCRAMConversation), logout, and the hooks hello (saslSupportedMechs, speculativeAuthenticate)
// and connectionStatus call. Failures answer 18 "Authentication failed." and are logged.

import BSON
import Query
import Logging

/// saslStart, saslContinue, logout and the auth parts of hello and connectionStatus.
enum AuthCommands {
    static let handlers: [CommandHandler] = [
        CommandHandler(["saslStart"], help: "starts a SASL (SCRAM-SHA-1, SCRAM-SHA-256) conversation") {
            (context) throws(MongoError) -> BSONDocument in
            try saslStart(context, spec: context.body, database: context.database)
        },
        CommandHandler(["saslContinue"], help: "continues a SASL conversation") { (context) throws(MongoError) -> BSONDocument in
            try saslContinue(context)
        },
        CommandHandler(["logout"], help: "logs the connection's users of this database out") { (context) throws(MongoError) -> BSONDocument in
            context.server.auth.logout(context.connection.id, database: context.database)
            return BSONDocument()
        },
    ]

    /// Fields whose values currentOp and logs must never show (passwords, SASL payloads).
    static let secretFields: Set<String> = ["pwd", "payload", "speculativeAuthenticate"]

    /// The one conversation id Tessera hands out (a connection has one conversation at a time).
    static let conversationID: Int32 = 1

    /// The mechanisms the server offers.
    static let mechanismNames = SCRAMMechanism.allCases.map(\.rawValue)

    static func authenticationFailed() -> MongoError {
        MongoError(MongoError.Code(18, "AuthenticationFailed"), "Authentication failed.")
    }

    /// saslStart, from the command or from hello's `speculativeAuthenticate` document.
    static func saslStart(_ context: CommandContext, spec: BSONDocument, database: String) throws(MongoError) -> BSONDocument {
        let auth = context.server.auth
        guard case let .string(mechanismName)? = spec["mechanism"] else {
            throw MongoError(.badValue, "saslStart needs a string 'mechanism'")
        }
        guard let mechanism = SCRAMMechanism(rawValue: mechanismName) else {
            throw MongoError(MongoError.Code(334, "MechanismUnavailable"),
                             "Received authentication for mechanism \(mechanismName) which is unknown or not enabled")
        }
        if auth.loginThrottle.isBlocked(remoteHost(context), limit: Int(context.server.parameters.integer("authFailedLoginLimit")),
                                        window: failedLoginWindow(context)) {
            fail(context, nil, database: database, mechanism: mechanism, reason: "too many failed logins from this host")
            throw authenticationFailed()
        }
        var skipEmptyExchange = false
        if case let .document(options)? = spec["options"], let skip = options["skipEmptyExchange"]?.boolValue {
            skipEmptyExchange = skip
        }
        var generator = SystemRandomNumberGenerator()
        let nonce = Base64.encode((0..<24).map { _ in UInt8.random(in: 0...255, using: &generator) })
        var machine = SCRAMConversation(mechanism: mechanism, serverNonce: nonce, secret: auth.secret,
                                        skipEmptyExchange: skipEmptyExchange)
        auth.setConversation(nil, on: context.connection.id)
        var action = machine.receive(try payload(spec, context, mechanism: mechanism))
        var named: String?
        if case let .lookUp(user) = action {
            named = user
            let record: UserRecord?
            do {
                record = try auth.store.user(UserName(user: user, db: database))
            } catch {
                context.server.logger.error("cannot read the users", metadata: ["error": "\(error)"])
                record = nil
            }
            if let record, record.credentials[mechanism] == nil {
                // The user exists (saslSupportedMechs says so anyway) but not for this mechanism:
                // fail now, as MongoDB, so a driver's speculative SHA-256 attempt falls back.
                fail(context, user, database: database, mechanism: mechanism,
                     reason: "user has no \(mechanism.rawValue) credentials")
                throw authenticationFailed()
            }
            action = machine.credentialsFound(record?.credentials[mechanism])
        }
        let conversation = AuthState.Conversation(id: conversationID, database: database, machine: machine)
        return try step(context, conversation, action, user: named)
    }

    /// saslContinue.
    static func saslContinue(_ context: CommandContext) throws(MongoError) -> BSONDocument {
        let auth = context.server.auth
        guard var conversation = auth.takeConversation(on: context.connection.id) else {
            throw MongoError(MongoError.Code(17, "ProtocolError"), "No SASL session state found")
        }
        guard context.body["conversationId"]?.int64Value == Int64(conversation.id) else {
            fail(context, conversation.machine.userName, database: conversation.database,
                 mechanism: conversation.machine.mechanism, reason: "wrong conversationId")
            throw authenticationFailed()
        }
        let named = conversation.machine.userName
        let action = conversation.machine.receive(try payload(context.body, context, mechanism: conversation.machine.mechanism))
        return try step(context, conversation, action, user: named)
    }

    /// Performs a machine's action: a reply (authenticating the user when done) or a failure
    /// (logged and audited with `user`, the name the client gave before the machine failed).
    private static func step(_ context: CommandContext, _ conversation: AuthState.Conversation,
                             _ action: SCRAMConversation.Action, user named: String?) throws(MongoError) -> BSONDocument {
        let auth = context.server.auth
        switch action {
        case let .reply(payload, done):
            if done {
                guard let user = conversation.machine.authenticatedUser,
                      let record = try? auth.store.user(UserName(user: user, db: conversation.database)) else {
                    fail(context, named, database: conversation.database,
                         mechanism: conversation.machine.mechanism, reason: "user vanished")
                    throw authenticationFailed()
                }
                auth.authenticate(record, on: context.connection.id)
                context.server.audit(AuditEvent.authentication(
                    user: record.name.user, database: record.name.db, mechanism: conversation.machine.mechanism.rawValue,
                    succeeded: true), connection: context.connection)
                context.server.logger.info("authenticated", metadata: [
                    "user": "\(record.name)", "mechanism": "\(conversation.machine.mechanism.rawValue)",
                    "remote": "\(context.connection.remoteAddress)",
                ])
            } else {
                auth.setConversation(conversation, on: context.connection.id)
            }
            return ["conversationId": .int32(conversation.id), "done": .bool(done),
                    "payload": .binary(BSONBinary(bytes: payload))]
        case let .fail(reason):
            fail(context, named, database: conversation.database,
                 mechanism: conversation.machine.mechanism, reason: reason)
            throw authenticationFailed()
        case .lookUp:
            fail(context, named, database: conversation.database,
                 mechanism: conversation.machine.mechanism, reason: "lookup out of turn")
            throw authenticationFailed()
        }
    }

    /// The `payload` bytes (BinData, as drivers send; a string is taken as its UTF-8 bytes).
    private static func payload(_ spec: BSONDocument, _ context: CommandContext,
                                mechanism: SCRAMMechanism) throws(MongoError) -> [UInt8] {
        switch spec["payload"] {
        case let .binary(binary)?: return binary.bytes
        case let .string(text)?: return Array(text.utf8)
        default:
            fail(context, nil, database: context.database, mechanism: mechanism, reason: "payload missing or not binary")
            throw authenticationFailed()
        }
    }

    /// The client's host, without the port: what the login throttle counts by.
    static func remoteHost(_ context: CommandContext) -> String {
        splitHostPort(context.connection.remoteAddress).host
    }

    private static func failedLoginWindow(_ context: CommandContext) -> Duration {
        .seconds(context.server.parameters.integer("authFailedLoginWindowSecs"))
    }

    /// Ends a SCRAM conversation after a failure.
    private static func fail(_ context: CommandContext, _ user: String?, database: String, mechanism: SCRAMMechanism,
                             reason: String) {
        fail(context, user, database: database, mechanism: mechanism.rawValue, reason: reason)
    }

    /// Ends a login after a failure: forgets the conversation, logs it, audits it and counts
    /// it against the host.
    static func fail(_ context: CommandContext, _ user: String?, database: String, mechanism: String, reason: String) {
        context.server.auth.setConversation(nil, on: context.connection.id)
        context.server.auth.loginThrottle.recordFailure(remoteHost(context), window: failedLoginWindow(context))
        context.server.logger.warning("authentication failed", metadata: [
            "user": "\(user ?? "?")@\(database)", "reason": "\(reason)", "remote": "\(context.connection.remoteAddress)",
        ])
        context.server.remember("authentication failed for \(user ?? "?")@\(database) from \(context.connection.remoteAddress): \(reason)")
        context.server.audit(AuditEvent.authentication(user: user, database: database, mechanism: mechanism,
                                                       succeeded: false), connection: context.connection)
    }

    // MARK: Hooks

    /// hello's auth fields: `saslSupportedMechs` for `"db.user"` and the reply to
    /// `speculativeAuthenticate` (SCRAM's saslStart or MONGODB-X509's authenticate; omitted
    /// when it fails, so the driver authenticates normally).
    static func helloFields(_ context: CommandContext) -> BSONDocument {
        var fields = BSONDocument()
        if case let .string(qualified)? = context.body["saslSupportedMechs"], let dot = qualified.firstIndex(of: ".") {
            let name = UserName(user: String(qualified[qualified.index(after: dot)...]), db: String(qualified[..<dot]))
            if let record = try? context.server.auth.store.user(name) {
                fields.append("saslSupportedMechs", .array(record.mechanisms.map { .string($0.rawValue) }))
            }
        }
        if case let .document(spec)? = context.body["speculativeAuthenticate"], spec["saslStart"] != nil {
            var database = context.database
            if case let .string(db)? = spec["db"] { database = db }
            if let reply = try? saslStart(context, spec: spec, database: database) {
                fields.append("speculativeAuthenticate", .document(reply))
            }
        } else if case let .document(spec)? = context.body["speculativeAuthenticate"], spec["authenticate"] != nil,
                  let reply = X509Authentication.speculativeReply(context, spec: spec) {
            fields.append("speculativeAuthenticate", .document(reply))
        }
        return fields
    }

    /// connectionStatus's `authInfo`.
    static func connectionStatus(_ context: CommandContext, showPrivileges: Bool) -> BSONDocument {
        let users = context.server.auth.users(on: context.connection.id)
        let names = users.keys.sorted()
        let roles = Set(users.values.flatMap { $0 }).sorted()
        var info: BSONDocument = [
            "authenticatedUsers": .array(names.map { .document(["user": .string($0.user), "db": .string($0.db)]) }),
            "authenticatedUserRoles": .array(roles.map { .document($0.document) }),
        ]
        if showPrivileges {
            let privileges = context.server.auth.roles.privileges(of: roles)
            info.append("authenticatedUserPrivileges", .array(privileges.map { privilege in
                .document(["resource": .document(RoleRecord.resourceDocument(privilege.resource)),
                           "actions": .array(privilege.actions.map(\.rawValue).sorted().map { .string($0) })])
            }))
        }
        return ["authInfo": .document(info)]
    }
}
