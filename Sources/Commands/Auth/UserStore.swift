// The users, kept in `admin.system.users` in MongoDB's document shape (`_id: "db.user"`,
// `userId`, `user`, `db`, `credentials`, `roles`, `customData`): reading, writing and the
// record type. Never stores or returns a password; reads go through the query engine only.

import BSON
import Query

/// One stored user.
struct UserRecord: Sendable {
    /// `user@db`.
    var name: UserName
    /// Its roles.
    var roles: [RoleName]
    /// Its SCRAM credentials by mechanism.
    var credentials: [SCRAMMechanism: SCRAMCredentials]
    /// The stored document.
    var document: BSONDocument

    /// The mechanisms it can log in with, in MongoDB's order.
    var mechanisms: [SCRAMMechanism] { SCRAMMechanism.allCases.filter { credentials[$0] != nil } }

    /// Reads a stored document; `nil` when it is not a user document.
    init?(document: BSONDocument) {
        guard case let .string(user)? = document["user"], case let .string(db)? = document["db"] else { return nil }
        name = UserName(user: user, db: db)
        roles = UserRecord.roles(document["roles"]) ?? []
        var credentials: [SCRAMMechanism: SCRAMCredentials] = [:]
        if case let .document(stored)? = document["credentials"] {
            for mechanism in SCRAMMechanism.allCases {
                if case let .document(entry)? = stored[mechanism.rawValue],
                   let credential = SCRAMCredentials(document: entry, mechanism: mechanism) {
                    credentials[mechanism] = credential
                }
            }
        }
        self.credentials = credentials
        self.document = document
    }

    /// `[{role, db}]` from a stored array; `nil` when it is not one.
    static func roles(_ value: BSONValue?) -> [RoleName]? {
        guard case let .array(values)? = value else { return nil }
        var roles: [RoleName] = []
        for case let .document(role) in values {
            if case let .string(name)? = role["role"], case let .string(db)? = role["db"] {
                roles.append(RoleName(role: name, db: db))
            }
        }
        return roles
    }

    /// A user document in MongoDB's shape.
    static func document(name: UserName, userId: BSONBinary, credentials: [SCRAMMechanism: SCRAMCredentials],
                         roles: [RoleName], customData: BSONDocument?) -> BSONDocument {
        var stored = BSONDocument()
        for mechanism in SCRAMMechanism.allCases {
            if let credential = credentials[mechanism] { stored.append(mechanism.rawValue, .document(credential.document)) }
        }
        // As MongoDB marks users whose credentials live outside (MONGODB-X509 in `$external`).
        if name.db == X509Authentication.externalDatabase { stored.append("external", true) }
        var document: BSONDocument = [
            "_id": .string(name.id), "userId": .binary(userId), "user": .string(name.user), "db": .string(name.db),
            "credentials": .document(stored),
            "roles": .array(roles.sorted().map { .document($0.document) }),
        ]
        if let customData { document.append("customData", .document(customData)) }
        return document
    }

    /// What usersInfo shows: no credentials unless asked.
    func info(showCredentials: Bool) -> BSONDocument {
        var info: BSONDocument = ["_id": .string(name.id)]
        if let userId = document["userId"] { info.append("userId", userId) }
        info.append("user", .string(name.user))
        info.append("db", .string(name.db))
        if showCredentials, let stored = document["credentials"] { info.append("credentials", stored) }
        if let customData = document["customData"] { info.append("customData", customData) }
        info.append("roles", .array(roles.sorted().map { .document($0.document) }))
        let names = name.db == X509Authentication.externalDatabase ? ["external"] : mechanisms.map(\.rawValue)
        info.append("mechanisms", .array(names.map { .string($0) }))
        return info
    }
}

/// `admin.system.users` through the query engine.
struct UserStore: Sendable {
    /// The engine holding the users.
    let engine: QueryEngine

    /// The users' collection.
    static let collectionName = "system.users"

    private func collection() throws(MongoError) -> QueryCollection {
        try engine.collection(Self.collectionName, in: "admin")
    }

    /// The user `name`, if it exists.
    func user(_ name: UserName) throws(MongoError) -> UserRecord? {
        let found = try collection().find(FindQuery(filter: ["_id": .string(name.id)], limit: 1))
        return found.first.flatMap(UserRecord.init(document:))
    }

    /// Every user (of `database` when given), by name.
    func users(in database: String? = nil) throws(MongoError) -> [UserRecord] {
        let filter: BSONDocument = database.map { ["db": .string($0)] } ?? BSONDocument()
        return try collection().find(FindQuery(filter: filter)).compactMap(UserRecord.init(document:))
            .sorted { $0.name < $1.name }
    }

    /// Whether any user exists.
    func hasUsers() throws(MongoError) -> Bool {
        try !collection().find(FindQuery(limit: 1)).isEmpty
    }

    /// Stores a new user document.
    ///
    /// - Throws: `Location51003` when the user exists.
    func insert(_ document: BSONDocument, name: UserName) throws(MongoError) {
        do {
            _ = try collection().insert(document, writeConcern: .journaled)
        } catch where error.code == .duplicateKey {
            throw MongoError(.location(51003), "User \"\(name)\" already exists")
        }
    }

    /// Replaces user `name`'s document; false when there is no such user.
    func replace(_ name: UserName, with document: BSONDocument) throws(MongoError) -> Bool {
        let result = try collection().update(["_id": .string(name.id)], document)
        return result.matchedCount > 0
    }

    /// Deletes user `name`; false when there was none.
    func delete(_ name: UserName) throws(MongoError) -> Bool {
        try collection().delete(["_id": .string(name.id)], multi: false, writeConcern: .journaled) > 0
    }

    /// Deletes every user of `database`; returns how many.
    func deleteAll(in database: String) throws(MongoError) -> Int {
        try collection().delete(["db": .string(database)], multi: true, writeConcern: .journaled)
    }
}
