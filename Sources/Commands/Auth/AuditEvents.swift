// Which commands make which audit events, with MongoDB's `atype` names and `param` shapes:
// user and role changes, DDL (collections, indexes, databases), authorization failures and
// authentications. Read from the request (and the reply) after the dispatcher ran the command,
// so no handler knows about auditing. Never puts a password in an event.

import BSON
import Query

extension AuditEvent {
    /// The user and role commands, audited under their own names.
    static let userAndRoleCommands: Set<String> = [
        "createUser", "updateUser", "dropUser", "dropAllUsersFromDatabase", "grantRolesToUser", "revokeRolesFromUser",
        "createRole", "updateRole", "dropRole", "dropAllRolesFromDatabase", "grantRolesToRole", "revokeRolesFromRole",
        "grantPrivilegesToRole", "revokePrivilegesFromRole",
    ]

    /// The DDL commands.
    static let ddlCommands: Set<String> = [
        "create", "drop", "renameCollection", "createIndexes", "dropIndexes", "deleteIndexes", "dropDatabase",
    ]

    /// The writes that create their collection when it does not exist: audited as a
    /// `createCollection` when they did (MongoDB audits implicit creation too).
    static let implicitCreators: Set<String> = ["insert", "update", "findAndModify", "findandmodify"]

    /// The events a command that succeeded makes (none for most commands).
    static func succeeded(_ name: String, _ request: CommandRequest, reply: BSONDocument) -> [AuditEvent] {
        if userAndRoleCommands.contains(name) { return [userOrRoleChange(name, request)] }
        guard ddlCommands.contains(name) else { return [] }
        let body = request.body
        let namespace = CommandDispatcher.namespace(of: request)
        switch name {
        case "create":
            var param: BSONDocument = ["ns": .string(namespace)]
            if let viewOn = body["viewOn"] {
                param.append("viewOn", viewOn)
                param.append("pipeline", body["pipeline"] ?? .array([]))
            }
            return [AuditEvent(atype: "createCollection", param: param)]
        case "drop":
            return [AuditEvent(atype: "dropCollection", param: ["ns": .string(namespace)])]
        case "renameCollection":
            return [AuditEvent(atype: "renameCollection", param: ["old": body.first?.value ?? .null, "new": body["to"] ?? .null])]
        case "createIndexes":
            guard reply["numIndexesAfter"]?.int64Value != reply["numIndexesBefore"]?.int64Value,
                  case let .array(specs)? = body["indexes"] else { return [] }
            return specs.compactMap { spec in
                guard case let .document(index) = spec else { return nil }
                return AuditEvent(atype: "createIndex", param: [
                    "ns": .string(namespace), "indexName": index["name"] ?? .null, "indexSpec": spec,
                ])
            }
        case "dropIndexes", "deleteIndexes":
            let names: [BSONValue] = if case let .array(values)? = body["index"] { values } else { [body["index"] ?? .null] }
            return names.map { AuditEvent(atype: "dropIndex", param: ["ns": .string(namespace), "indexName": $0]) }
        default:  // dropDatabase
            return [AuditEvent(atype: "dropDatabase", param: ["ns": .string(request.database)])]
        }
    }

    /// A user or role command's event: who or what changed and how, as MongoDB's audit logs it
    /// (`passwordChanged` instead of the password).
    private static func userOrRoleChange(_ name: String, _ request: CommandRequest) -> AuditEvent {
        let body = request.body
        let database = request.database
        var param = BSONDocument()
        switch name {
        case "dropAllUsersFromDatabase", "dropAllRolesFromDatabase":
            param.append("db", .string(database))
            return AuditEvent(atype: name, param: param)
        case "createRole", "updateRole", "dropRole", "grantRolesToRole", "revokeRolesFromRole",
             "grantPrivilegesToRole", "revokePrivilegesFromRole":
            param.append("role", body.first?.value ?? .null)
        default:
            param.append("user", body.first?.value ?? .null)
        }
        param.append("db", .string(database))
        if name == "createUser" || name == "updateUser" {
            if name == "updateUser" { param.append("passwordChanged", .bool(body["pwd"] != nil)) }
            if let customData = body["customData"] { param.append("customData", customData) }
            if let mechanisms = body["mechanisms"] { param.append("mechanisms", mechanisms) }
        }
        if let roles = body["roles"] { param.append("roles", roleNames(roles, database: database)) }
        if let privileges = body["privileges"] { param.append("privileges", privileges) }
        return AuditEvent(atype: name, param: param)
    }

    /// `roles` with plain names made `{role, db}` in `database`, as the audit shows them.
    private static func roleNames(_ roles: BSONValue, database: String) -> BSONValue {
        guard case let .array(values) = roles else { return roles }
        return .array(values.map { value in
            if case let .string(role) = value { return .document(["role": .string(role), "db": .string(database)]) }
            return value
        })
    }

    /// The most bytes of command arguments an `authCheck` event carries; larger ones keep only
    /// the command's first field (a refused 16 MB insert must not make a 16 MB audit line).
    static let maxArgumentBytes = 16 * 1024

    /// An authorization failure (`authCheck`, result 13): the command, its namespace and its
    /// arguments (secrets redacted, long arrays summarized, large ones cut to the first field).
    static func denied(_ name: String, _ request: CommandRequest) -> AuditEvent {
        var args = CommandDispatcher.summary(of: request.body)
        if args.extendedJSON().utf8.count > maxArgumentBytes {
            args = [name: request.body.first?.value ?? .null, "$truncated": .bool(true)]
        }
        return AuditEvent(atype: "authCheck", param: [
            "command": .string(name), "ns": .string(CommandDispatcher.namespace(of: request)), "args": .document(args),
        ], result: MongoError.Code.unauthorized.rawValue)
    }

    /// An authentication attempt: `result` 0 when it succeeded, else 18.
    static func authentication(user: String?, database: String, mechanism: String?, succeeded: Bool) -> AuditEvent {
        AuditEvent(atype: "authenticate", param: [
            "user": .string(user ?? ""), "db": .string(database), "mechanism": .string(mechanism ?? ""),
        ], result: succeeded ? 0 : AuthCommands.authenticationFailed().code.rawValue)
    }
}

extension ServerState {
    /// Writes `event` to the audit log (when there is one) as seen on `connection`.
    func audit(_ event: @autoclosure () -> AuditEvent, connection: ConnectionInfo) {
        guard let auditLog else { return }
        auditLog.record(event(), connection: connection, users: auth.users(on: connection.id))
    }

    /// The collection a write that may create it names, when auditing and it does not
    /// exist yet (see ``auditImplicitCreation(_:connection:)``); nil otherwise.
    func collectionToAuditIfCreated(_ name: String, _ request: CommandRequest) -> Namespace? {
        guard auditLog != nil, AuditEvent.implicitCreators.contains(name),
              case let .string(collection)? = request.body.first?.value, !collection.isEmpty,
              let namespace = try? Namespace(database: request.database, collection: collection) else { return nil }
        return engine.collectionDescription(namespace) == nil ? namespace : nil
    }

    /// Audits `namespace`'s creation if the write that named it created it.
    func auditImplicitCreation(_ namespace: Namespace?, connection: ConnectionInfo) {
        guard let namespace, engine.collectionDescription(namespace) != nil else { return }
        audit(AuditEvent(atype: "createCollection", param: ["ns": .string("\(namespace)"), "implicit": true]),
              connection: connection)
    }

    /// Audits what a command that succeeded changed (users, roles, DDL).
    func auditSucceeded(_ name: String, _ request: CommandRequest, connection: ConnectionInfo, reply: BSONDocument) {
        guard let auditLog,
              AuditEvent.userAndRoleCommands.contains(name) || AuditEvent.ddlCommands.contains(name) else { return }
        let events = AuditEvent.succeeded(name, request, reply: reply)
        guard !events.isEmpty else { return }
        let users = auth.users(on: connection.id)
        let now = WallClock.now()
        for event in events { auditLog.record(event, connection: connection, users: users, at: now) }
    }
}
