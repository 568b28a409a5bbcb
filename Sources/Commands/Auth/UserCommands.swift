// The user-management commands: createUser, updateUser, dropUser, dropAllUsersFromDatabase,
// usersInfo (with showCredentials and showPrivileges), grantRolesToUser and revokeRolesFromUser,
// with MongoDB's arguments and error codes. Users are stored by UserStore; passwords only ever become SCRAM credentials.

import BSON
import Query

/// User management.
enum UserCommands {
    static let handlers: [CommandHandler] = [
        CommandHandler(["createUser"], help: "creates a user with a password and roles") { (context) throws(MongoError) -> BSONDocument in
            try createUser(context)
        },
        CommandHandler(["updateUser"], help: "changes a user's password, roles or customData") { (context) throws(MongoError) -> BSONDocument in
            try updateUser(context)
        },
        CommandHandler(["dropUser"], help: "removes a user") { (context) throws(MongoError) -> BSONDocument in
            let name = try userName(context)
            guard try context.server.auth.store.delete(name) else { throw notFound(name) }
            context.server.auth.usersChanged()
            return BSONDocument()
        },
        CommandHandler(["dropAllUsersFromDatabase"], help: "removes every user of the database") { (context) throws(MongoError) -> BSONDocument in
            let count = try context.server.auth.store.deleteAll(in: context.database)
            context.server.auth.usersChanged()
            return ["n": .int32(Int32(clamping: count))]
        },
        CommandHandler(["usersInfo"], help: "describes users") { (context) throws(MongoError) -> BSONDocument in
            try usersInfo(context)
        },
        CommandHandler(["grantRolesToUser"], help: "adds roles to a user") { (context) throws(MongoError) -> BSONDocument in
            try changeRoles(context, grant: true)
        },
        CommandHandler(["revokeRolesFromUser"], help: "removes roles from a user") { (context) throws(MongoError) -> BSONDocument in
            try changeRoles(context, grant: false)
        },
    ]

    static let userNotFound = MongoError.Code(11, "UserNotFound")
    static let roleNotFound = MongoError.Code(31, "RoleNotFound")
    /// `$external` users (MONGODB-X509) authenticate by certificate, never by password.
    static let externalPassword = MongoError(.badValue, "Cannot set the password for users defined on the '$external' database")

    static func notFound(_ name: UserName) -> MongoError {
        MongoError(userNotFound, "Could not find user \"\(name.user)\" for db \"\(name.db)\"")
    }

    /// The user the command's first value names, in the command's database.
    ///
    /// - Throws: `BadValue` (2) for an empty name or `$external`/`local` misuse.
    private static func userName(_ context: CommandContext) throws(MongoError) -> UserName {
        guard case let .string(user) = context.firstValue else {
            throw MongoError(.typeMismatch, "BSON field '\(context.name).\(context.name)' is the wrong type '\(context.firstValue.type.alias)', expected type 'string'")
        }
        guard !user.isEmpty else { throw MongoError(.badValue, "User document needs 'user' field to be non-empty") }
        guard !user.utf8.contains(0) else { throw MongoError(.badValue, "User name must not contain NULL characters") }
        return UserName(user: user, db: context.database)
    }

    /// `roles`: names (of the command's database) or `{role, db}`; each must exist.
    ///
    /// - Throws: `RoleNotFound` (31) for a role that is not built in, `BadValue` (2) for a
    ///   malformed entry.
    static func roles(_ values: [BSONValue], database: String, store: RoleStore) throws(MongoError) -> [RoleName] {
        var roles: [RoleName] = []
        for value in values {
            let role: RoleName
            switch value {
            case let .string(name): role = RoleName(role: name, db: database)
            case let .document(spec):
                guard case let .string(name)? = spec["role"], case let .string(db)? = spec["db"] else {
                    throw MongoError(.badValue, "Role names must be either strings or objects with 'role' and 'db' fields")
                }
                role = RoleName(role: name, db: db)
            default:
                throw MongoError(.badValue, "Role names must be either strings or objects")
            }
            guard try store.exists(role) else { throw MongoError(roleNotFound, "Could not find role: \(role)") }
            if !roles.contains(role) { roles.append(role) }
        }
        return roles
    }

    /// `mechanisms`: a non-empty subset of the SCRAM mechanisms (both by default).
    private static func mechanisms(_ context: CommandContext, allowed: [SCRAMMechanism]) throws(MongoError) -> [SCRAMMechanism] {
        guard let values = try context.array("mechanisms") else { return allowed }
        var mechanisms: [SCRAMMechanism] = []
        for value in values {
            guard case let .string(name) = value, let mechanism = SCRAMMechanism(rawValue: name) else {
                throw MongoError(.badValue, "Unknown auth mechanism '\(value.stringValue ?? value.type.alias)'")
            }
            guard allowed.contains(mechanism) else {
                throw MongoError(.badValue, "mechanisms field must be a subset of previously set mechanisms")
            }
            if !mechanisms.contains(mechanism) { mechanisms.append(mechanism) }
        }
        guard !mechanisms.isEmpty else { throw MongoError(.badValue, "mechanisms field must not be empty") }
        return mechanisms
    }

    /// The password: a non-empty string, digested by the server.
    private static func password(_ context: CommandContext) throws(MongoError) -> String? {
        guard let password = try context.string("pwd") else { return nil }
        guard !password.isEmpty else { throw MongoError(.badValue, "Password cannot be empty") }
        if try context.bool("digestPassword") == false {
            throw MongoError(.badValue, "digestPassword: false is not supported; send the password itself")
        }
        return password
    }

    private static func credentials(for name: UserName, password: String,
                                    mechanisms: [SCRAMMechanism]) throws(MongoError) -> [SCRAMMechanism: SCRAMCredentials] {
        var credentials: [SCRAMMechanism: SCRAMCredentials] = [:]
        for mechanism in mechanisms {
            credentials[mechanism] = try SCRAMCredentials.make(mechanism, user: name.user, password: password)
        }
        return credentials
    }

    static func createUser(_ context: CommandContext) throws(MongoError) -> BSONDocument {
        let name = try userName(context)
        guard name.db != "local" else { throw MongoError(.badValue, "Cannot create users in the local database") }
        let external = name.db == X509Authentication.externalDatabase
        let roles = try roles(try context.requiredArray("roles"), database: name.db, store: context.server.auth.roles)
        let password = try password(context)
        guard password != nil || external else {
            throw MongoError(.badValue, "Must provide a 'pwd' field for all user documents, except those with '$external' as the user's source db")
        }
        guard password == nil || !external else { throw externalPassword }
        var stored: [SCRAMMechanism: SCRAMCredentials] = [:]
        if let password {
            stored = try credentials(for: name, password: password,
                                     mechanisms: try mechanisms(context, allowed: SCRAMMechanism.allCases))
        }
        let customData = try context.document("customData")
        var generator = SystemRandomNumberGenerator()
        var uuid = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        uuid[6] = (uuid[6] & 0x0f) | 0x40
        uuid[8] = (uuid[8] & 0x3f) | 0x80
        let document = UserRecord.document(
            name: name, userId: BSONBinary(subtype: .uuid, bytes: uuid),
            credentials: stored,
            roles: roles, customData: customData)
        try context.server.auth.store.insert(document, name: name)
        context.server.auth.usersChanged()
        context.server.logger.info("created user", metadata: ["user": "\(name)", "remote": "\(context.connection.remoteAddress)"])
        return BSONDocument()
    }

    static func updateUser(_ context: CommandContext) throws(MongoError) -> BSONDocument {
        let name = try userName(context)
        let store = context.server.auth.store
        guard var record = try store.user(name) else { throw notFound(name) }
        let password = try password(context)
        guard password == nil || name.db != X509Authentication.externalDatabase else { throw externalPassword }
        let newRoles = try context.array("roles").map { (values) throws(MongoError) in try roles(values, database: name.db, store: context.server.auth.roles) }
        let customData = try context.document("customData")
        guard password != nil || newRoles != nil || customData != nil || context.body["mechanisms"] != nil else {
            throw MongoError(.badValue, "Must specify at least one field to update in updateUser")
        }
        var credentials = record.credentials
        if let password {
            let mechanisms = try mechanisms(context, allowed: SCRAMMechanism.allCases)
            credentials = try self.credentials(for: name, password: password, mechanisms: mechanisms)
        } else if context.body["mechanisms"] != nil {
            let mechanisms = try mechanisms(context, allowed: record.mechanisms)
            credentials = credentials.filter { mechanisms.contains($0.key) }
        }
        var customDocument = customData
        if customDocument == nil, case let .document(existing)? = record.document["customData"] { customDocument = existing }
        let userId: BSONBinary
        if case let .binary(existing)? = record.document["userId"] { userId = existing } else {
            userId = BSONBinary(subtype: .uuid, bytes: Array(repeating: 0, count: 16))
        }
        record.roles = newRoles ?? record.roles
        let document = UserRecord.document(name: name, userId: userId, credentials: credentials, roles: record.roles,
                                           customData: customDocument)
        guard try store.replace(name, with: document) else { throw notFound(name) }
        context.server.auth.usersChanged()
        return BSONDocument()
    }

    static func changeRoles(_ context: CommandContext, grant: Bool) throws(MongoError) -> BSONDocument {
        let name = try userName(context)
        let changed = try roles(try context.requiredArray("roles"), database: name.db, store: context.server.auth.roles)
        let store = context.server.auth.store
        guard let record = try store.user(name) else { throw notFound(name) }
        var roles = record.roles
        if grant {
            for role in changed where !roles.contains(role) { roles.append(role) }
        } else {
            roles.removeAll { changed.contains($0) }
        }
        var document = record.document
        document["roles"] = .array(roles.sorted().map { .document($0.document) })
        guard try store.replace(name, with: document) else { throw notFound(name) }
        context.server.auth.usersChanged()
        return BSONDocument()
    }

    static func usersInfo(_ context: CommandContext) throws(MongoError) -> BSONDocument {
        let store = context.server.auth.store
        let showCredentials = try context.bool("showCredentials") ?? false
        var records: [UserRecord] = []
        func named(_ value: BSONValue) throws(MongoError) -> UserName {
            switch value {
            case let .string(user): return UserName(user: user, db: context.database)
            case let .document(spec):
                guard case let .string(user)? = spec["user"], case let .string(db)? = spec["db"] else {
                    throw MongoError(.badValue, "User name must contain 'user' and 'db' fields")
                }
                return UserName(user: user, db: db)
            default:
                throw MongoError(.badValue, "User name must be either a string or an object")
            }
        }
        switch context.firstValue {
        case .int32, .int64, .double:
            records = try store.users(in: context.database)
        case let .document(spec) where spec["forAllDBs"]?.boolValue == true:
            records = try store.users()
        case let .array(values):
            for value in values { if let record = try store.user(try named(value)) { records.append(record) } }
        default:
            if let record = try store.user(try named(context.firstValue)) { records.append(record) }
        }
        guard AuthorizationTable.truthy(context.body["showPrivileges"]) else {
            return ["users": .array(records.map { .document($0.info(showCredentials: showCredentials)) })]
        }
        let roleStore = context.server.auth.roles
        return ["users": .array(records.map { record in
            var info = record.info(showCredentials: showCredentials)
            var inherited = Set(record.roles)
            for role in record.roles { inherited.formUnion(roleStore.inherited(role)) }
            info.append("inheritedRoles", .array(inherited.sorted().map { .document($0.document) }))
            info.append("inheritedPrivileges", .array(roleStore.mergedPrivileges(of: record.roles).map {
                .document(RoleRecord.document($0))
            }))
            return .document(info)
        })]
    }
}
