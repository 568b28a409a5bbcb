// The one table of what each command needs: command name → the actions it needs on which
// resources, read from the command document (its collection, an aggregate pipeline's every
// namespace, the roles a user command grants). The dispatcher checks it before any handler runs.

import BSON
import Query

/// Actions a command needs on one resource.
struct Requirement: Hashable, Sendable {
    /// The actions.
    var actions: Set<ActionType>
    /// Where.
    var resource: Resource
}

/// What a command needs from the user running it.
enum AuthorizationRule: Equatable, Sendable {
    /// Nothing: allowed before authentication (the handshake and the auth commands).
    case unauthenticated
    /// Only to be authenticated (sessions, own cursors, listDatabases which filters its reply).
    case authenticated
    /// Every requirement.
    case requires([Requirement])
}

/// Command name → what it needs.
enum AuthorizationTable {
    /// Commands anyone may run before authenticating, as mongod (`requiresAuth() == false`).
    static let unauthenticated: Set<String> = [
        "hello", "isMaster", "ismaster", "buildInfo", "buildinfo", "ping", "saslStart", "saslContinue",
        "authenticate", "logout", "connectionStatus", "configureFailPoint", "waitForFailPoint",
    ]

    /// Commands every authenticated user may run (their own sessions and cursors, server identity).
    static let authenticatedOnly: Set<String> = [
        "startSession", "endSessions", "refreshSessions", "killSessions", "getMore", "killCursors",
        "commitTransaction", "abortTransaction", "whatsmyuri", "listCommands", "listDatabases",
        // Without `killop` only one's own operation (checked against the operation: AuthGate).
        "killOp",
    ]

    /// Commands that need the same actions on the collection their first value names.
    private static let collectionActions: [String: Set<ActionType>] = [
        "find": [.find], "count": [.find], "distinct": [.find],
        "insert": [.insert], "delete": [.remove],
        "create": [.createCollection], "drop": [.dropCollection],
        "collStats": [.collStats], "validate": [.validate],
        "createIndexes": [.createIndex], "listIndexes": [.listIndexes],
        "dropIndexes": [.dropIndex], "deleteIndexes": [.dropIndex], "collMod": [.collMod],
        "compact": [.compact],
    ]

    /// Commands that need actions on the database they run in.
    private static let databaseActions: [String: Set<ActionType>] = [
        "dropDatabase": [.dropDatabase], "listCollections": [.listCollections], "dbStats": [.dbStats],
        "dbHash": [.dbHash], "dbhash": [.dbHash],
        "createUser": [.createUser], "dropUser": [.dropUser], "dropAllUsersFromDatabase": [.dropUser],
        "usersInfo": [.viewUser], "createRole": [.createRole], "dropRole": [.dropRole], "rolesInfo": [.viewRole],
        "grantPrivilegesToRole": [.grantRole], "revokePrivilegesFromRole": [.revokeRole],
        "grantRolesToRole": [.grantRole], "revokeRolesFromRole": [.revokeRole],
        "dropAllRolesFromDatabase": [.dropRole], "profile": [.enableProfiler],
    ]

    /// Commands that need actions on the server.
    private static let clusterActions: [String: Set<ActionType>] = [
        "serverStatus": [.serverStatus], "getLog": [.getLog],
        "setParameter": [.setParameter], "getParameter": [.getParameter], "getCmdLineOpts": [.getCmdLineOpts],
        "hostInfo": [.hostInfo], "replSetGetStatus": [.replSetGetStatus],
        "replSetGetConfig": [.replSetGetConfig], "setFeatureCompatibilityVersion": [.setFeatureCompatibilityVersion],
        "killAllSessions": [.killAnySession], "createBackup": [.createBackup], "purgeBackups": [.createBackup],
        "top": [.top], "fsync": [.fsync], "fsyncUnlock": [.unlock],
        // Test only (enableTestCommands): breaks an index, so only root (every action) may.
        "_tesseraCorruptIndex": Set(ActionType.allCases),
    ]

    /// What command `name` needs when sent as `body` to `database`; `nil` for a command the
    /// table does not know (then only `root` may run it).
    static func rule(for name: String, body: BSONDocument, database: String) -> AuthorizationRule? {
        if unauthenticated.contains(name) { return .unauthenticated }
        if authenticatedOnly.contains(name) { return .authenticated }
        if let actions = collectionActions[name] {
            return .requires([Requirement(actions: actions, resource: collection(body.first?.value, in: database))])
        }
        if let actions = databaseActions[name] {
            var requirements = [Requirement(actions: actions, resource: .database(database))]
            if name == "createUser" || name == "createRole" || name == "grantRolesToRole" {
                requirements += grants(body["roles"], database: database, action: .grantRole)
            }
            if name == "usersInfo" { requirements += viewedUsers(body.first?.value) }
            return .requires(requirements)
        }
        if let actions = clusterActions[name] { return .requires([Requirement(actions: actions, resource: .cluster)]) }
        let target = collection(body.first?.value, in: database)
        switch name {
        case "update":
            return .requires([Requirement(actions: upserts(body["updates"]) ? [.update, .insert] : [.update], resource: target)])
        case "findAndModify", "findandmodify":
            var actions: Set<ActionType> = [.find]
            if body["remove"]?.boolValue == true { actions.insert(.remove) } else { actions.insert(.update) }
            if body["upsert"]?.boolValue == true { actions.insert(.insert) }
            return .requires([Requirement(actions: actions, resource: target)])
        case "aggregate":
            return .requires(aggregate(body, database: database))
        case "bulkWrite":
            return .requires(bulkWrite(body))
        case "explain":
            guard case let .document(inner)? = body.first?.value, let innerName = inner.first?.key,
                  innerName != "explain" else { return .requires([]) }
            return rule(for: innerName, body: inner, database: database)
        case "renameCollection":
            return .requires(rename(body))
        case "currentOp":
            // `$ownOps: true` needs only a login (and then shows only the caller's operations).
            return truthy(body["$ownOps"]) ? .authenticated : .requires([Requirement(actions: [.inprog], resource: .cluster)])
        case "updateRole":
            // Roles it takes away are unknown beforehand: revokeRole on the database, and
            // grantRole wherever the new roles and privileges point.
            var requirements = [Requirement(actions: [.revokeRole], resource: .database(database))]
            requirements += grants(body["roles"], database: database, action: .grantRole)
            if body["privileges"] != nil { requirements.append(Requirement(actions: [.grantRole], resource: .database(database))) }
            return .requires(requirements)
        case "updateUser":
            var actions: Set<ActionType> = []
            if body["pwd"] != nil { actions.insert(.changePassword) }
            if body["customData"] != nil { actions.insert(.changeCustomData) }
            if body["roles"] != nil { actions.formUnion([.grantRole, .revokeRole]) }
            if actions.isEmpty { actions.insert(.changePassword) }
            return .requires([Requirement(actions: actions, resource: .database(database))]
                             + grants(body["roles"], database: database, action: .grantRole))
        case "grantRolesToUser":
            return .requires(grants(body["roles"], database: database, action: .grantRole)
                             + [Requirement(actions: [.grantRole], resource: .database(database))])
        case "revokeRolesFromUser":
            return .requires(grants(body["roles"], database: database, action: .revokeRole)
                             + [Requirement(actions: [.revokeRole], resource: .database(database))])
        default:
            return nil
        }
    }

    /// The collection a command's first value names (a malformed name becomes the database,
    /// so the check still happens and the handler reports the bad name).
    /// bulkWrite: on each op's namespace (from `nsInfo`), insert, update (and insert for an
    /// upsert) or remove, as mongod checks it per op. A malformed op needs nothing here: the
    /// command refuses it.
    private static func bulkWrite(_ body: BSONDocument) -> [Requirement] {
        guard case let .array(ops)? = body["ops"], case let .array(nsInfo)? = body["nsInfo"] else { return [] }
        var requirements: [Requirement] = []
        for case let .document(op) in ops {
            guard let first = op.first, let position = first.value.int64Value, position >= 0, position < Int64(nsInfo.count),
                  case let .document(entry) = nsInfo[Int(position)],  // checked: 0 <= position < count
                  case let .string(text)? = entry["ns"], let dot = text.firstIndex(of: ".")
            else { continue }
            let resource = Resource.collection(database: String(text[..<dot]), collection: String(text[text.index(after: dot)...]))
            let actions: Set<ActionType> = switch first.key {
            case "insert": [.insert]
            case "delete": [.remove]
            default: op["upsert"]?.boolValue == true ? [.update, .insert] : [.update]
            }
            requirements.append(Requirement(actions: actions, resource: resource))
        }
        return requirements
    }

    private static func collection(_ value: BSONValue?, in database: String) -> Resource {
        guard case let .string(name)? = value, !name.isEmpty else { return .database(database) }
        return .collection(database: database, collection: name)
    }

    /// usersInfo on users of other databases (`{user, db}`, `{forAllDBs: true}`): viewUser there.
    private static func viewedUsers(_ value: BSONValue?) -> [Requirement] {
        var values: [BSONValue] = []
        switch value {
        case let .array(elements)?: values = elements
        case let .document(spec)?:
            if spec["forAllDBs"]?.boolValue == true { return [Requirement(actions: [.viewUser], resource: .cluster)] }
            values = [.document(spec)]
        default: return []
        }
        var databases: Set<String> = []
        for case let .document(spec) in values {
            if case let .string(db)? = spec["db"] { databases.insert(db) }
        }
        return databases.sorted().map { Requirement(actions: [.viewUser], resource: .database($0)) }
    }

    private static func upserts(_ updates: BSONValue?) -> Bool {
        guard case let .array(statements)? = updates else { return false }
        return statements.contains { statement in
            if case let .document(document) = statement { return document["upsert"]?.boolValue == true }
            return false
        }
    }

    /// `action` on the database of every role in `roles` (strings name roles of `database`).
    private static func grants(_ roles: BSONValue?, database: String, action: ActionType) -> [Requirement] {
        guard case let .array(values)? = roles else { return [] }
        var databases: Set<String> = []
        for value in values {
            switch value {
            case .string: databases.insert(database)
            case let .document(role):
                if case let .string(db)? = role["db"] { databases.insert(db) } else { databases.insert(database) }
            default: break
            }
        }
        return databases.sorted().map { Requirement(actions: [action], resource: .database($0)) }
    }

    private static func rename(_ body: BSONDocument) -> [Requirement] {
        guard case let .string(from)? = body.first?.value, case let .string(to)? = body["to"],
              let source = split(from), let target = split(to)
        else { return [Requirement(actions: [.renameCollectionSameDB], resource: .database("admin"))] }
        if source.database == target.database {
            // On both collections, so a system collection (admin.system.users) needs its own grant.
            return [Requirement(actions: [.renameCollectionSameDB], resource: source.resource),
                    Requirement(actions: [.renameCollectionSameDB], resource: target.resource)]
        }
        return [Requirement(actions: [.find, .dropCollection], resource: source.resource),
                Requirement(actions: [.insert, .createIndex, .createCollection], resource: target.resource)]
    }

    private static func split(_ namespace: String) -> (database: String, resource: Resource)? {
        guard let dot = namespace.firstIndex(of: ".") else { return nil }
        let database = String(namespace[..<dot])
        let collection = String(namespace[namespace.index(after: dot)...])
        guard !database.isEmpty, !collection.isEmpty else { return nil }
        return (database, .collection(database: database, collection: collection))
    }

    // MARK: aggregate

    /// Every namespace an aggregate reads or writes: the collection it runs on, and each
    /// `$lookup`, `$graphLookup`, `$unionWith` (and their sub-pipelines, and `$facet`'s),
    /// `$out` and `$merge` target.
    static func aggregate(_ body: BSONDocument, database: String) -> [Requirement] {
        var requirements: [Requirement] = []
        let stages: [BSONValue]
        if case let .array(values)? = body["pipeline"] { stages = values } else { stages = [] }
        let firstStage: String? = {
            if case let .document(stage)? = stages.first { return stage.first?.key }
            return nil
        }()
        let base = collection(body.first?.value, in: database)
        switch firstStage {
        case "$changeStream"?: requirements.append(Requirement(actions: [.changeStream, .find], resource: base))
        case "$currentOp"?: requirements.append(Requirement(actions: [.inprog], resource: .cluster))
        case "$listLocalSessions"?:
            // Everyone's sessions need listSessions; without allUsers only one's own are listed.
            if case let .document(stage)? = stages.first, case let .document(spec)? = stage["$listLocalSessions"],
               truthy(spec["allUsers"]) {
                requirements.append(Requirement(actions: [.listSessions], resource: .cluster))
            }
        case "$documents"?: break
        default:
            if case .collection = base { requirements.append(Requirement(actions: [.find], resource: base)) }
        }
        pipeline(stages, database: database, depth: 0, into: &requirements)
        return requirements
    }

    private static func pipeline(_ stages: [BSONValue], database: String, depth: Int, into requirements: inout [Requirement]) {
        guard depth < 32 else {
            // Deeper than any pipeline the query layer accepts: ask for everything.
            requirements.append(Requirement(actions: Set(ActionType.allCases), resource: .cluster))
            return
        }
        for case let .document(stage) in stages {
            guard let first = stage.first else { continue }
            let name = first.key
            let value = first.value
            switch name {
            case "$lookup", "$graphLookup":
                guard case let .document(spec) = value else { continue }
                if let from = spec["from"] { requirements.append(Requirement(actions: [.find], resource: foreign(from, database))) }
                if case let .array(inner)? = spec["pipeline"] {
                    pipeline(inner, database: database, depth: depth + 1, into: &requirements)
                }
            case "$unionWith":
                switch value {
                case .string:
                    requirements.append(Requirement(actions: [.find], resource: foreign(value, database)))
                case let .document(spec):
                    if let coll = spec["coll"] { requirements.append(Requirement(actions: [.find], resource: foreign(coll, database))) }
                    if case let .array(inner)? = spec["pipeline"] {
                        pipeline(inner, database: database, depth: depth + 1, into: &requirements)
                    }
                default: continue
                }
            case "$facet":
                guard case let .document(facets) = value else { continue }
                for facet in facets {
                    if case let .array(inner) = facet.value {
                        pipeline(inner, database: database, depth: depth + 1, into: &requirements)
                    }
                }
            case "$out":
                requirements.append(Requirement(actions: [.insert, .remove], resource: foreign(value, database)))
            case "$merge":
                let target: BSONValue
                if case let .document(spec) = value, let into = spec["into"] { target = into } else { target = value }
                requirements.append(Requirement(actions: [.insert, .update], resource: foreign(target, database)))
            default:
                continue
            }
        }
    }

    /// A flag as MongoDB's `trueValue()`: true, or a non-zero number.
    static func truthy(_ value: BSONValue?) -> Bool {
        guard let value else { return false }
        if let flag = value.boolValue { return flag }
        return value.isNumeric && value.doubleValue != 0
    }

    /// A stage's foreign collection: a name in `database`, or `{db, coll}`.
    private static func foreign(_ value: BSONValue, _ database: String) -> Resource {
        switch value {
        case let .string(name) where !name.isEmpty:
            return .collection(database: database, collection: name)
        case let .document(spec):
            var db = database
            if case let .string(other)? = spec["db"] { db = other }
            if case let .string(name)? = spec["coll"], !name.isEmpty { return .collection(database: db, collection: name) }
            return .database(db)
        default:
            return .database(database)
        }
    }
}
