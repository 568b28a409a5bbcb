// The user-defined role commands: createRole, updateRole, dropRole, dropAllRolesFromDatabase,
// rolesInfo, grantPrivilegesToRole, revokePrivilegesFromRole, grantRolesToRole and
// revokeRolesFromRole, with MongoDB's rules (a role outside admin reaches only its own database;
// no cycles; built-in roles cannot change) and error codes.

import BSON
import Query

/// Role management.
enum RoleCommands {
    static let handlers: [CommandHandler] = [
        CommandHandler(["createRole"], help: "creates a role from privileges and other roles") { (context) throws(MongoError) -> BSONDocument in
            try createRole(context)
        },
        CommandHandler(["dropRole"], help: "removes a role (and takes it from users and roles)") { (context) throws(MongoError) -> BSONDocument in
            try dropRole(context)
        },
        CommandHandler(["updateRole"], help: "replaces a role's privileges or inherited roles") { (context) throws(MongoError) -> BSONDocument in
            try updateRole(context)
        },
        CommandHandler(["dropAllRolesFromDatabase"], help: "removes every role of the database (and takes them from users and roles)") {
            (context) throws(MongoError) -> BSONDocument in
            try dropAllRoles(context)
        },
        CommandHandler(["rolesInfo"], help: "describes roles") { (context) throws(MongoError) -> BSONDocument in
            try rolesInfo(context)
        },
        CommandHandler(["grantPrivilegesToRole"], help: "adds privileges to a role") { (context) throws(MongoError) -> BSONDocument in
            try changePrivileges(context, grant: true)
        },
        CommandHandler(["revokePrivilegesFromRole"], help: "removes privileges from a role") { (context) throws(MongoError) -> BSONDocument in
            try changePrivileges(context, grant: false)
        },
        CommandHandler(["grantRolesToRole"], help: "makes a role inherit roles") { (context) throws(MongoError) -> BSONDocument in
            try changeInheritance(context, grant: true)
        },
        CommandHandler(["revokeRolesFromRole"], help: "stops a role inheriting roles") { (context) throws(MongoError) -> BSONDocument in
            try changeInheritance(context, grant: false)
        },
    ]

    static let invalidRoleModification = MongoError.Code(49, "InvalidRoleModification")

    private static func roleName(_ context: CommandContext) throws(MongoError) -> RoleName {
        guard case let .string(role) = context.firstValue else {
            throw MongoError(.typeMismatch, "BSON field '\(context.name).\(context.name)' is the wrong type '\(context.firstValue.type.alias)', expected type 'string'")
        }
        guard !role.isEmpty, !role.utf8.contains(0) else { throw MongoError(.badValue, "Role name must be non-empty") }
        return RoleName(role: role, db: context.database)
    }

    private static func notFound(_ role: RoleName) -> MongoError {
        MongoError(UserCommands.roleNotFound, "Could not find role: \(role)")
    }

    /// BadValue (2), as MongoDB 8.0 answers any change to a built-in role.
    private static func builtIn(_ role: RoleName) -> MongoError {
        MongoError(.badValue, "\(role) is a built-in role and cannot be modified")
    }

    /// A role outside `admin` may only reach its own database.
    private static func checkScope(_ role: RoleName, privileges: [Privilege], inherits: [RoleName]) throws(MongoError) {
        guard role.db != "admin" else { return }
        for privilege in privileges {
            switch privilege.resource {
            case let .database(db) where db == role.db: continue
            case let .collection(db, _) where db == role.db: continue
            default:
                throw MongoError(.badValue, "Roles on the '\(role.db)' database cannot be granted privileges that target other databases or the cluster")
            }
        }
        for inherited in inherits where inherited.db != role.db {
            throw MongoError(.badValue, "Roles on the '\(role.db)' database cannot inherit from roles on other databases")
        }
    }

    /// Rejects an inheritance that would make `role` reach itself.
    private static func checkNoCycle(_ role: RoleName, inherits: [RoleName], store: RoleStore) throws(MongoError) {
        for inherited in inherits where inherited == role || store.inherited(inherited).contains(role) {
            throw MongoError(invalidRoleModification, "Granting \(inherited) to \(role) would introduce a cycle in the role graph")
        }
    }

    static func createRole(_ context: CommandContext) throws(MongoError) -> BSONDocument {
        let name = try roleName(context)
        guard !BuiltInRoles.exists(name), !BuiltInRoles.adminRoles.contains(name.role) else {
            throw MongoError(.badValue, "Cannot create roles with the same name as a built-in role")
        }
        let store = context.server.auth.roles
        let privileges = try RoleRecord.privileges(try context.requiredArray("privileges"))
        let inherits = try UserCommands.roles(try context.requiredArray("roles"), database: name.db, store: store)
        try checkScope(name, privileges: privileges, inherits: inherits)
        try checkNoCycle(name, inherits: inherits, store: store)
        try store.insert(RoleRecord.document(name: name, privileges: privileges, roles: inherits), name: name)
        context.server.auth.usersChanged()
        return BSONDocument()
    }

    static func dropRole(_ context: CommandContext) throws(MongoError) -> BSONDocument {
        let name = try roleName(context)
        let auth = context.server.auth
        if BuiltInRoles.exists(name) { throw builtIn(name) }
        guard try auth.roles.delete(name) else { throw notFound(name) }
        try takeAway({ $0 == name }, auth: auth)
        return BSONDocument()
    }

    /// dropAllRolesFromDatabase: `{n}` roles deleted.
    static func dropAllRoles(_ context: CommandContext) throws(MongoError) -> BSONDocument {
        let auth = context.server.auth
        var dropped = 0
        for role in try auth.roles.roles(in: context.database) {
            if try auth.roles.delete(role.name) { dropped += 1 }
        }
        try takeAway({ $0.db == context.database }, auth: auth)
        return ["n": .int32(Int32(clamping: dropped))]
    }

    /// Removes the roles `dropped` matches from every user and role that has them.
    private static func takeAway(_ dropped: (RoleName) -> Bool, auth: AuthState) throws(MongoError) {
        for user in try auth.store.users() where user.roles.contains(where: dropped) {
            var document = user.document
            document["roles"] = .array(user.roles.filter { !dropped($0) }.sorted().map { .document($0.document) })
            _ = try auth.store.replace(user.name, with: document)
        }
        for role in try auth.roles.roles() where role.roles.contains(where: dropped) {
            _ = try auth.roles.replace(role.name, with: RoleRecord.document(
                name: role.name, privileges: role.privileges, roles: role.roles.filter { !dropped($0) }))
        }
        auth.usersChanged()
    }

    /// updateRole: replaces `privileges` and/or `roles` (at least one).
    static func updateRole(_ context: CommandContext) throws(MongoError) -> BSONDocument {
        let record = try changedRole(context)
        let name = record.name
        let store = context.server.auth.roles
        let newPrivileges = try context.array("privileges").map { (values) throws(MongoError) in try RoleRecord.privileges(values) }
        let newRoles = try context.array("roles").map { (values) throws(MongoError) in
            try UserCommands.roles(values, database: name.db, store: store)
        }
        guard newPrivileges != nil || newRoles != nil || context.body["authenticationRestrictions"] != nil else {
            throw MongoError(.badValue, "Must specify at least one field to update in updateRole")
        }
        let privileges = newPrivileges ?? record.privileges
        let roles = newRoles ?? record.roles
        try checkScope(name, privileges: privileges, inherits: roles)
        if let newRoles { try checkNoCycle(name, inherits: newRoles, store: store) }
        guard try store.replace(name, with: RoleRecord.document(name: name, privileges: privileges, roles: roles)) else {
            throw notFound(name)
        }
        context.server.auth.usersChanged()
        return BSONDocument()
    }

    /// The user-defined role the command names, which it is about to change.
    ///
    /// - Throws: `BadValue` (2) for a built-in role, `RoleNotFound` (31) for a missing one.
    private static func changedRole(_ context: CommandContext) throws(MongoError) -> RoleRecord {
        let name = try roleName(context)
        if BuiltInRoles.exists(name) { throw builtIn(name) }
        guard let record = try context.server.auth.roles.role(name) else { throw notFound(name) }
        return record
    }

    static func changePrivileges(_ context: CommandContext, grant: Bool) throws(MongoError) -> BSONDocument {
        let record = try changedRole(context)
        let name = record.name
        let store = context.server.auth.roles
        let changed = try RoleRecord.privileges(try context.requiredArray("privileges"))
        var privileges = record.privileges
        if grant {
            try checkScope(name, privileges: changed, inherits: [])
            for privilege in changed {
                if let index = privileges.firstIndex(where: { $0.resource == privilege.resource }) {
                    privileges[index].actions.formUnion(privilege.actions)
                } else {
                    privileges.append(privilege)
                }
            }
        } else {
            for privilege in changed {
                if let index = privileges.firstIndex(where: { $0.resource == privilege.resource }) {
                    privileges[index].actions.subtract(privilege.actions)
                }
            }
            privileges.removeAll { $0.actions.isEmpty }
        }
        _ = try store.replace(name, with: RoleRecord.document(name: name, privileges: privileges, roles: record.roles))
        context.server.auth.usersChanged()
        return BSONDocument()
    }

    static func changeInheritance(_ context: CommandContext, grant: Bool) throws(MongoError) -> BSONDocument {
        let record = try changedRole(context)
        let name = record.name
        let store = context.server.auth.roles
        let changed = try UserCommands.roles(try context.requiredArray("roles"), database: name.db, store: store)
        var roles = record.roles
        if grant {
            try checkScope(name, privileges: [], inherits: changed)
            try checkNoCycle(name, inherits: changed, store: store)
            for role in changed where !roles.contains(role) { roles.append(role) }
        } else {
            roles.removeAll { changed.contains($0) }
        }
        _ = try store.replace(name, with: RoleRecord.document(name: name, privileges: record.privileges, roles: roles))
        context.server.auth.usersChanged()
        return BSONDocument()
    }

    static func rolesInfo(_ context: CommandContext) throws(MongoError) -> BSONDocument {
        let store = context.server.auth.roles
        let showPrivileges = context.body["showPrivileges"].map { $0.boolValue ?? ($0.doubleValue.map { $0 != 0 } ?? false) } ?? false
        let showBuiltinRoles = try context.bool("showBuiltinRoles") ?? false
        var names: [RoleName] = []
        func named(_ value: BSONValue) throws(MongoError) -> RoleName {
            switch value {
            case let .string(role): return RoleName(role: role, db: context.database)
            case let .document(spec):
                guard case let .string(role)? = spec["role"], case let .string(db)? = spec["db"] else {
                    throw MongoError(.badValue, "Role name must contain 'role' and 'db' fields")
                }
                return RoleName(role: role, db: db)
            default:
                throw MongoError(.badValue, "Role name must be either a string or an object")
            }
        }
        switch context.firstValue {
        case .int32, .int64, .double:
            names = try store.roles(in: context.database).map(\.name)
            if showBuiltinRoles {
                let builtIns = BuiltInRoles.databaseRoles.union(context.database == "admin" ? BuiltInRoles.adminRoles : [])
                names += builtIns.map { RoleName(role: $0, db: context.database) }
            }
        case let .array(values):
            for value in values { names.append(try named(value)) }
        default:
            names.append(try named(context.firstValue))
        }
        var infos: [BSONValue] = []
        for name in names.sorted() {
            let builtIn = BuiltInRoles.exists(name)
            let record = builtIn ? nil : try store.role(name)
            guard builtIn || record != nil else { continue }
            let direct = record?.roles ?? []
            let inherited = store.inherited(name)
            var info: BSONDocument = ["_id": .string("\(name.db).\(name.role)"), "role": .string(name.role),
                                      "db": .string(name.db), "isBuiltin": .bool(builtIn),
                                      "roles": .array(direct.sorted().map { .document($0.document) }),
                                      "inheritedRoles": .array(inherited.map { .document($0.document) })]
            if showPrivileges {
                let own = builtIn ? BuiltInRoles.privileges(of: name) : (record?.privileges ?? [])
                info.append("privileges", .array(own.map { .document(RoleRecord.document($0)) }))
                info.append("inheritedPrivileges", .array(store.mergedPrivileges(of: [name]).map { .document(RoleRecord.document($0)) }))
            }
            infos.append(.document(info))
        }
        return ["roles": .array(infos)]
    }
}
