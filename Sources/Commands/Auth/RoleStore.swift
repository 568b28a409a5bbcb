// User-defined roles, kept in `admin.system.roles` in MongoDB's shape (`_id: "db.role"`,
// `role`, `db`, `privileges: [{resource, actions}]`, `roles: [{role, db}]`): reading, writing,
// the privilege document grammar, and resolving any mix of built-in and custom roles to privileges.

import BSON
import Query

/// One stored role.
struct RoleRecord: Sendable {
    /// `role@db`.
    var name: RoleName
    /// Its own privileges.
    var privileges: [Privilege]
    /// The roles it inherits.
    var roles: [RoleName]
    /// The stored document.
    var document: BSONDocument

    /// Reads a stored document; `nil` when it is not a role document.
    init?(document: BSONDocument) {
        guard case let .string(role)? = document["role"], case let .string(db)? = document["db"] else { return nil }
        name = RoleName(role: role, db: db)
        roles = UserRecord.roles(document["roles"]) ?? []
        if case let .array(values)? = document["privileges"] {
            privileges = (try? RoleRecord.privileges(values)) ?? []
        } else {
            privileges = []
        }
        self.document = document
    }

    /// A role document in MongoDB's shape.
    static func document(name: RoleName, privileges: [Privilege], roles: [RoleName]) -> BSONDocument {
        ["_id": .string("\(name.db).\(name.role)"), "role": .string(name.role), "db": .string(name.db),
         "privileges": .array(privileges.map { .document(document($0)) }),
         "roles": .array(roles.sorted().map { .document($0.document) })]
    }

    /// `{resource, actions}`.
    static func document(_ privilege: Privilege) -> BSONDocument {
        ["resource": .document(resourceDocument(privilege.resource)),
         "actions": .array(privilege.actions.map(\.rawValue).sorted().map { .string($0) })]
    }

    /// A resource pattern as MongoDB writes it.
    static func resourceDocument(_ pattern: ResourcePattern) -> BSONDocument {
        switch pattern {
        case .anyResource: ["anyResource": .bool(true)]
        case .anyNormalResource: ["db": "", "collection": ""]
        case let .database(db): ["db": .string(db), "collection": ""]
        case let .collection(db, collection): ["db": .string(db), "collection": .string(collection)]
        case let .collectionInAnyDatabase(collection): ["db": "", "collection": .string(collection)]
        case .cluster: ["cluster": .bool(true)]
        }
    }

    /// Parses `privileges: [{resource, actions}]`.
    ///
    /// - Throws: `BadValue` (2) for a malformed privilege, resource or unknown action;
    ///   `FailedToParse` (9) for a non-document entry.
    static func privileges(_ values: [BSONValue]) throws(MongoError) -> [Privilege] {
        var privileges: [Privilege] = []
        for value in values {
            guard case let .document(spec) = value else {
                throw MongoError(.failedToParse, "Each privilege must be an object")
            }
            guard case let .document(resource)? = spec["resource"] else {
                throw MongoError(.badValue, "A privilege must have a 'resource' object")
            }
            guard case let .array(actionValues)? = spec["actions"], !actionValues.isEmpty else {
                throw MongoError(.badValue, "A privilege must have a non-empty 'actions' array")
            }
            var actions: Set<ActionType> = []
            for action in actionValues {
                guard case let .string(name) = action, let known = ActionType(rawValue: name) else {
                    throw MongoError(.badValue, "Unrecognized action privilege string: \(action.stringValue ?? action.type.alias)")
                }
                actions.insert(known)
            }
            privileges.append(Privilege(resource: try pattern(resource), actions: actions))
        }
        return privileges
    }

    private static func pattern(_ resource: BSONDocument) throws(MongoError) -> ResourcePattern {
        if resource["cluster"]?.boolValue == true, resource.count == 1 { return .cluster }
        if resource["anyResource"]?.boolValue == true, resource.count == 1 { return .anyResource }
        guard resource.count == 2, case let .string(db)? = resource["db"], case let .string(collection)? = resource["collection"] else {
            throw MongoError(.badValue, "A resource must be {cluster: true}, {anyResource: true} or {db: <string>, collection: <string>}")
        }
        switch (db.isEmpty, collection.isEmpty) {
        case (true, true): return .anyNormalResource
        case (false, true): return .database(db)
        case (true, false): return .collectionInAnyDatabase(collection)
        case (false, false): return .collection(database: db, collection: collection)
        }
    }
}

/// `admin.system.roles` through the query engine.
struct RoleStore: Sendable {
    /// The engine holding the roles.
    let engine: QueryEngine

    private func collection() throws(MongoError) -> QueryCollection {
        try engine.collection("system.roles", in: "admin")
    }

    /// Role `name`, if it is a stored (user-defined) role.
    func role(_ name: RoleName) throws(MongoError) -> RoleRecord? {
        try collection().find(FindQuery(filter: ["_id": .string("\(name.db).\(name.role)")], limit: 1))
            .first.flatMap(RoleRecord.init(document:))
    }

    /// Every stored role (of `database` when given).
    func roles(in database: String? = nil) throws(MongoError) -> [RoleRecord] {
        let filter: BSONDocument = database.map { ["db": .string($0)] } ?? BSONDocument()
        return try collection().find(FindQuery(filter: filter)).compactMap(RoleRecord.init(document:))
            .sorted { $0.name < $1.name }
    }

    /// Whether `name` is a built-in or stored role.
    func exists(_ name: RoleName) throws(MongoError) -> Bool {
        if BuiltInRoles.exists(name) { return true }
        return try role(name) != nil
    }

    /// Stores a new role.
    ///
    /// - Throws: `Location51002` when it exists.
    func insert(_ document: BSONDocument, name: RoleName) throws(MongoError) {
        do {
            _ = try collection().insert(document, writeConcern: .journaled)
        } catch where error.code == .duplicateKey {
            throw MongoError(.location(51002), "Role \"\(name)\" already exists")
        }
    }

    /// Replaces role `name`'s document; false when there is none.
    func replace(_ name: RoleName, with document: BSONDocument) throws(MongoError) -> Bool {
        try collection().update(["_id": .string("\(name.db).\(name.role)")], document).matchedCount > 0
    }

    /// Deletes role `name`; false when there was none.
    func delete(_ name: RoleName) throws(MongoError) -> Bool {
        try collection().delete(["_id": .string("\(name.db).\(name.role)")], multi: false, writeConcern: .journaled) > 0
    }

    /// The privileges of `roles` and every role they inherit, built-in or stored (a role
    /// that no longer exists grants nothing; cycles and depth are bounded).
    func privileges(of roles: [RoleName]) -> [Privilege] {
        var privileges: [Privilege] = []
        var seen: Set<RoleName> = []
        var pending = roles
        while let role = pending.popLast(), seen.count < 1000 {
            guard seen.insert(role).inserted else { continue }
            if BuiltInRoles.exists(role) {
                privileges += BuiltInRoles.privileges(of: role)
            } else if let record = try? self.role(role) {
                privileges += record.privileges
                pending += record.roles
            }
        }
        return privileges
    }

    /// The privileges of `roles` merged as MongoDB shows them: one entry per resource with
    /// every action granted on it (`inheritedPrivileges`).
    func mergedPrivileges(of roles: [RoleName]) -> [Privilege] {
        var merged: [Privilege] = []
        for privilege in privileges(of: roles) {
            if let index = merged.firstIndex(where: { $0.resource == privilege.resource }) {
                merged[index].actions.formUnion(privilege.actions)
            } else {
                merged.append(privilege)
            }
        }
        return merged
    }

    /// Every role `role` inherits, directly or not (itself excluded).
    func inherited(_ role: RoleName) -> [RoleName] {
        var seen: Set<RoleName> = []
        var pending = (try? self.role(role))?.roles ?? []
        while let next = pending.popLast(), seen.count < 1000 {
            guard seen.insert(next).inserted else { continue }
            pending += (try? self.role(next))?.roles ?? []
        }
        return seen.sorted()
    }
}
