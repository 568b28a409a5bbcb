// MongoDB's built-in roles as privileges: role and user names, the action names, resource
// patterns and what each built-in role grants on which resources. Pure data and matching: no
// storage, no connections.

import BSON

/// A user's or role's full name: `user@db`.
struct UserName: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The name.
    var user: String
    /// The database it is defined in (the authentication database).
    var db: String

    /// `db.user`: the `_id` in `admin.system.users`.
    var id: String { "\(db).\(user)" }
    var description: String { "\(user)@\(db)" }

    static func < (a: UserName, b: UserName) -> Bool { (a.db, a.user) < (b.db, b.user) }
}

/// A role's name on a database: `{role, db}`.
struct RoleName: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The role.
    var role: String
    /// The database it applies to.
    var db: String

    /// `{role, db}`.
    var document: BSONDocument { ["role": .string(role), "db": .string(db)] }
    var description: String { "\(role)@\(db)" }

    static func < (a: RoleName, b: RoleName) -> Bool { (a.db, a.role) < (b.db, b.role) }
}

/// MongoDB's privilege actions (the subset Tessera's commands need).
enum ActionType: String, CaseIterable, Sendable {
    case find, insert, update, remove
    case createCollection, dropCollection, dropDatabase, renameCollectionSameDB
    case createIndex, dropIndex, listCollections, listIndexes, listDatabases
    case killCursors, changeStream, collStats, dbStats, validate, collMod, convertToCapped
    case createUser, dropUser, viewUser, grantRole, revokeRole, changePassword, changeCustomData
    case createRole, dropRole, viewRole
    case serverStatus, inprog, killop, killAnySession, listSessions, getLog, getParameter, setParameter
    case getCmdLineOpts, hostInfo, replSetGetStatus, replSetGetConfig, top, shutdown, fsync
    case setFeatureCompatibilityVersion
    case bypassDocumentValidation
    case dbHash
    case enableProfiler, compact, unlock
    /// Tessera's: take an online backup (`createBackup`) or purge old ones (`purgeBackups`).
    case createBackup
}

/// What a privilege applies to.
enum ResourcePattern: Hashable, Sendable {
    /// Every resource, the cluster included (root).
    case anyResource
    /// Every normal collection of every database, and the databases themselves.
    case anyNormalResource
    /// The database and its normal collections.
    case database(String)
    /// One collection, system collections included.
    case collection(database: String, collection: String)
    /// The collection of this name in every database (not a system collection).
    case collectionInAnyDatabase(String)
    /// The server itself.
    case cluster
}

/// What a command acts on.
enum Resource: Hashable, Sendable {
    /// The server.
    case cluster
    /// A database as a whole.
    case database(String)
    /// One collection.
    case collection(database: String, collection: String)

    /// The database it lies in (`nil` for the cluster).
    var database: String? {
        switch self {
        case .cluster: nil
        case let .database(name), let .collection(name, _): name
        }
    }
}

extension ResourcePattern {
    /// Whether the pattern covers `resource`. System collections (`system.*`) are covered only
    /// by `anyResource` or their exact collection pattern, as MongoDB's "normal" resources.
    func covers(_ resource: Resource) -> Bool {
        switch (self, resource) {
        case (.anyResource, _): return true
        case (.cluster, .cluster): return true
        case (.anyNormalResource, .database): return true
        case let (.anyNormalResource, .collection(_, collection)): return !collection.hasPrefix("system.")
        case let (.database(name), .database(target)): return name == target
        case let (.database(name), .collection(database, collection)):
            return name == database && !collection.hasPrefix("system.")
        case let (.collection(database, collection), .collection(targetDatabase, targetCollection)):
            return database == targetDatabase && collection == targetCollection
        case let (.collectionInAnyDatabase(collection), .collection(_, target)):
            return collection == target && !target.hasPrefix("system.")
        default: return false
        }
    }
}

/// A set of actions on a resource pattern.
struct Privilege: Hashable, Sendable {
    /// Where.
    var resource: ResourcePattern
    /// What.
    var actions: Set<ActionType>
}

/// The built-in roles and their privileges.
enum BuiltInRoles {
    private static let readActions: Set<ActionType> = [
        .find, .listCollections, .listIndexes, .killCursors, .changeStream, .collStats, .dbStats, .dbHash,
    ]
    private static let writeActions: Set<ActionType> = readActions.union([
        .insert, .update, .remove, .createCollection, .dropCollection, .createIndex, .dropIndex,
        .renameCollectionSameDB, .convertToCapped,
    ])
    private static let dbAdminActions: Set<ActionType> = [
        .bypassDocumentValidation, .collMod, .collStats, .convertToCapped, .createCollection, .createIndex,
        .dbStats, .dropCollection, .dropDatabase, .dropIndex, .listCollections, .listIndexes,
        .renameCollectionSameDB, .validate, .enableProfiler, .compact,
    ]
    private static let userAdminActions: Set<ActionType> = [
        .changeCustomData, .changePassword, .createRole, .createUser, .dropRole, .dropUser, .grantRole,
        .revokeRole, .viewRole, .viewUser,
    ]
    private static let monitorActions: Set<ActionType> = [
        .serverStatus, .inprog, .listDatabases, .getCmdLineOpts, .getLog, .getParameter, .hostInfo,
        .replSetGetStatus, .replSetGetConfig, .top, .listSessions,
    ]

    /// Roles that exist in every database.
    static let databaseRoles: Set<String> = ["read", "readWrite", "dbAdmin", "dbOwner", "userAdmin"]
    /// Roles that exist only in `admin`.
    static let adminRoles: Set<String> = [
        "clusterMonitor", "clusterAdmin", "readAnyDatabase", "readWriteAnyDatabase", "userAdminAnyDatabase",
        "dbAdminAnyDatabase", "backup", "restore", "root",
    ]

    /// Whether `role` is a built-in role.
    static func exists(_ role: RoleName) -> Bool {
        databaseRoles.contains(role.role) || (role.db == "admin" && adminRoles.contains(role.role))
    }

    /// The privileges of a built-in role (empty for an unknown one).
    static func privileges(of role: RoleName) -> [Privilege] {
        let db = role.db
        let usersCollection = ResourcePattern.collection(database: "admin", collection: "system.users")
        switch role.role {
        case "read": return [Privilege(resource: .database(db), actions: readActions)]
        case "readWrite": return [Privilege(resource: .database(db), actions: writeActions)]
        case "dbAdmin":
            return [Privilege(resource: .database(db), actions: dbAdminActions),
                    Privilege(resource: .collection(database: db, collection: "system.profile"),
                              actions: [.find, .collStats, .dropCollection, .createCollection])]
        case "userAdmin": return [Privilege(resource: .database(db), actions: userAdminActions)]
        case "dbOwner":
            return [Privilege(resource: .database(db), actions: writeActions.union(dbAdminActions).union(userAdminActions))]
        default: break
        }
        guard db == "admin" else { return [] }
        switch role.role {
        case "clusterMonitor":
            return [Privilege(resource: .cluster, actions: monitorActions),
                    Privilege(resource: .anyNormalResource, actions: [.collStats, .dbStats, .listCollections, .listIndexes])]
        case "clusterAdmin":
            return [Privilege(resource: .cluster,
                              actions: monitorActions.union([.killop, .killAnySession, .setParameter, .shutdown, .fsync, .unlock])),
                    Privilege(resource: .anyNormalResource,
                              actions: [.collStats, .dbStats, .listCollections, .listIndexes, .dropDatabase, .validate])]
        case "readAnyDatabase":
            return [Privilege(resource: .anyNormalResource, actions: readActions),
                    Privilege(resource: .cluster, actions: [.listDatabases])]
        case "readWriteAnyDatabase":
            return [Privilege(resource: .anyNormalResource, actions: writeActions),
                    Privilege(resource: .cluster, actions: [.listDatabases])]
        case "userAdminAnyDatabase":
            return [Privilege(resource: .anyNormalResource, actions: userAdminActions),
                    Privilege(resource: .cluster, actions: [.listDatabases, .viewUser, .viewRole]),
                    Privilege(resource: usersCollection, actions: [.find])]
        case "dbAdminAnyDatabase":
            return [Privilege(resource: .anyNormalResource, actions: dbAdminActions),
                    Privilege(resource: .cluster, actions: [.listDatabases])]
        case "backup":
            return [Privilege(resource: .anyNormalResource,
                              actions: [.find, .listCollections, .listIndexes, .collStats, .dbStats, .dbHash]),
                    Privilege(resource: .cluster, actions: [.listDatabases, .serverStatus, .getParameter, .createBackup]),
                    Privilege(resource: usersCollection, actions: [.find]),
                    Privilege(resource: .anyNormalResource, actions: [.viewUser, .viewRole])]
        case "restore":
            return [Privilege(resource: .anyNormalResource,
                              actions: [.insert, .update, .remove, .createCollection, .createIndex, .dropCollection,
                                        .listCollections, .listIndexes, .bypassDocumentValidation, .collMod,
                                        .convertToCapped, .createUser, .dropUser, .grantRole, .revokeRole,
                                        .createRole, .dropRole, .viewUser, .viewRole, .changePassword,
                                        .changeCustomData]),
                    Privilege(resource: .cluster, actions: [.listDatabases, .getParameter]),
                    Privilege(resource: usersCollection, actions: [.find, .insert, .update, .remove, .createIndex])]
        case "root":
            return [Privilege(resource: .anyResource, actions: Set(ActionType.allCases))]
        default:
            return []
        }
    }

    /// The privileges of a set of roles.
    static func privileges(of roles: [RoleName]) -> [Privilege] {
        roles.flatMap { privileges(of: $0) }
    }

    /// Whether `privileges` allow every action in `actions` on `resource`.
    static func allows(_ privileges: [Privilege], _ actions: Set<ActionType>, on resource: Resource) -> Bool {
        var missing = actions
        for privilege in privileges where privilege.resource.covers(resource) {
            missing.subtract(privilege.actions)
            if missing.isEmpty { return true }
        }
        return missing.isEmpty
    }
}
