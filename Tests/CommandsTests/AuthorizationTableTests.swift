// The authorization table and the built-in roles without a server: what each command needs
// (an aggregate's every namespace, the roles a user command grants), what each built-in role
// allows and denies, and that every command the dispatcher knows has an entry.

import BSON
@testable import Commands
import Documents
import Testing

@Suite struct AuthorizationTableTests {
    static func allowed(_ roles: [RoleName], _ body: BSONDocument, database: String = "app") -> Bool {
        guard let name = body.first?.key, let rule = AuthorizationTable.rule(for: name, body: body, database: database)
        else { return false }
        switch rule {
        case .unauthenticated, .authenticated: return true
        case let .requires(requirements):
            let privileges = BuiltInRoles.privileges(of: roles)
            return requirements.allSatisfy { BuiltInRoles.allows(privileges, $0.actions, on: $0.resource) }
        }
    }

    static func role(_ name: String, _ db: String = "app") -> [RoleName] { [RoleName(role: name, db: db)] }

    static let find: BSONDocument = ["find": "c"]
    static let insert: BSONDocument = ["insert": "c", "documents": [["a": 1]]]
    static let dropDatabase: BSONDocument = ["dropDatabase": 1]
    static let createUser: BSONDocument = ["createUser": "u", "pwd": "p", "roles": ["read"]]
    static let serverStatus: BSONDocument = ["serverStatus": 1]

    @Test func everyDispatchedCommandHasARule() {
        for handler in CommandTable.handlers {
            for name in handler.names {
                #expect(AuthorizationTable.rule(for: name, body: [name: "c"], database: "app") != nil, "\(name)")
            }
        }
    }

    @Test func handshakeAndAuthCommandsNeedNoUser() {
        for name in ["hello", "isMaster", "saslStart", "saslContinue", "buildInfo", "logout", "ping"] {
            #expect(AuthorizationTable.rule(for: name, body: [name: 1], database: "admin") == .unauthenticated)
        }
        #expect(AuthorizationTable.rule(for: "listDatabases", body: ["listDatabases": 1], database: "admin") == .authenticated)
    }

    @Test func readAllowsFindingButNotWriting() {
        #expect(Self.allowed(Self.role("read"), Self.find))
        #expect(Self.allowed(Self.role("read"), ["listCollections": 1]))
        #expect(!Self.allowed(Self.role("read"), Self.insert))
        #expect(!Self.allowed(Self.role("read"), ["update": "c", "updates": []]))
        #expect(!Self.allowed(Self.role("read"), ["delete": "c", "deletes": []]))
        #expect(!Self.allowed(Self.role("read"), Self.dropDatabase))
        #expect(!Self.allowed(Self.role("read", "other"), Self.find))
    }

    @Test func backupRoleTakesBackupsAndHashesButReadOnlyHashes() {
        let createBackup: BSONDocument = ["createBackup": 1, "to": "/backups"]
        #expect(Self.allowed(Self.role("backup", "admin"), createBackup, database: "admin"))
        #expect(Self.allowed(Self.role("backup", "admin"), ["dbHash": 1]))
        #expect(Self.allowed(Self.role("root", "admin"), createBackup, database: "admin"))
        #expect(!Self.allowed(Self.role("readWriteAnyDatabase", "admin"), createBackup, database: "admin"))
        #expect(!Self.allowed(Self.role("dbOwner"), createBackup, database: "admin"))
        #expect(Self.allowed(Self.role("read"), ["dbHash": 1]))
        #expect(!Self.allowed(Self.role("read", "other"), ["dbHash": 1]))
    }

    @Test func readWriteWritesOnlyItsOwnDatabase() {
        #expect(Self.allowed(Self.role("readWrite"), Self.insert))
        #expect(Self.allowed(Self.role("readWrite"), ["createIndexes": "c", "indexes": []]))
        #expect(Self.allowed(Self.role("readWrite"), ["drop": "c"]))
        #expect(!Self.allowed(Self.role("readWrite"), Self.dropDatabase))
        #expect(!Self.allowed(Self.role("readWrite"), Self.insert, database: "other"))
        #expect(!Self.allowed(Self.role("readWrite"), ["insert": "system.users"], database: "admin"))
        #expect(!Self.allowed(Self.role("readWrite"), Self.createUser))
    }

    @Test func dbAdminManagesButDoesNotRead() {
        #expect(Self.allowed(Self.role("dbAdmin"), Self.dropDatabase))
        #expect(Self.allowed(Self.role("dbAdmin"), ["collStats": "c"]))
        #expect(!Self.allowed(Self.role("dbAdmin"), Self.find))
        #expect(!Self.allowed(Self.role("dbAdmin"), Self.insert))
    }

    @Test func dbOwnerIsReadWriteDbAdminAndUserAdmin() {
        for command in [Self.find, Self.insert, Self.dropDatabase, Self.createUser] {
            #expect(Self.allowed(Self.role("dbOwner"), command))
        }
        #expect(!Self.allowed(Self.role("dbOwner"), Self.serverStatus))
    }

    @Test func userAdminGrantsOnlyRolesOfDatabasesItAdministers() {
        #expect(Self.allowed(Self.role("userAdmin"), Self.createUser))
        #expect(!Self.allowed(Self.role("userAdmin"), Self.find))
        #expect(!Self.allowed(Self.role("userAdmin"), ["createUser": "u", "pwd": "p", "roles": [["role": "root", "db": "admin"]]]))
        #expect(Self.allowed(Self.role("userAdminAnyDatabase", "admin"),
                             ["createUser": "u", "pwd": "p", "roles": [["role": "root", "db": "admin"]]]))
        #expect(!Self.allowed(Self.role("userAdmin"), ["grantRolesToUser": "u", "roles": [["role": "read", "db": "b"]]]))
    }

    @Test func clusterRolesReachTheServerNotTheData() {
        #expect(Self.allowed(Self.role("clusterMonitor", "admin"), Self.serverStatus, database: "admin"))
        #expect(Self.allowed(Self.role("clusterMonitor", "admin"), ["currentOp": 1], database: "admin"))
        // killOp needs only a login in the table; without `killop` the gate lets one kill only
        // one's own operations (ServerState.authorizationDenial).
        #expect(!BuiltInRoles.allows(BuiltInRoles.privileges(of: Self.role("clusterMonitor", "admin")), [.killop], on: .cluster))
        #expect(BuiltInRoles.allows(BuiltInRoles.privileges(of: Self.role("clusterAdmin", "admin")), [.killop], on: .cluster))
        #expect(!Self.allowed(Self.role("clusterMonitor", "admin"), Self.find))
        #expect(Self.allowed(Self.role("clusterAdmin", "admin"), ["killOp": 1, "op": 3], database: "admin"))
        #expect(!Self.allowed(Self.role("clusterAdmin", "admin"), Self.insert))
        #expect(!Self.allowed(Self.role("readWrite"), Self.serverStatus, database: "admin"))
    }

    @Test func anyDatabaseRolesReachEveryDatabase() {
        #expect(Self.allowed(Self.role("readAnyDatabase", "admin"), Self.find, database: "x"))
        #expect(!Self.allowed(Self.role("readAnyDatabase", "admin"), Self.insert, database: "x"))
        #expect(Self.allowed(Self.role("readWriteAnyDatabase", "admin"), Self.insert, database: "y"))
        #expect(!Self.allowed(Self.role("readWriteAnyDatabase", "admin"), Self.dropDatabase, database: "y"))
        #expect(Self.allowed(Self.role("dbAdminAnyDatabase", "admin"), Self.dropDatabase, database: "y"))
        #expect(Self.allowed(Self.role("userAdminAnyDatabase", "admin"), Self.createUser, database: "y"))
        #expect(!Self.allowed(Self.role("readAnyDatabase", "app"), Self.find, database: "x"), "only exists in admin")
    }

    @Test func backupReadsRestoreWritesRootDoesAll() {
        #expect(Self.allowed(Self.role("backup", "admin"), Self.find, database: "x"))
        #expect(!Self.allowed(Self.role("backup", "admin"), Self.insert, database: "x"))
        #expect(Self.allowed(Self.role("backup", "admin"), ["find": "system.users"], database: "admin"))
        #expect(Self.allowed(Self.role("restore", "admin"), Self.insert, database: "x"))
        #expect(Self.allowed(Self.role("restore", "admin"), ["insert": "system.users"], database: "admin"))
        for command in [Self.find, Self.insert, Self.dropDatabase, Self.createUser, Self.serverStatus] {
            #expect(Self.allowed(Self.role("root", "admin"), command))
        }
        #expect(!Self.allowed([], Self.find))
    }

    @Test func aggregateChecksEveryNamespaceItReadsOrWrites() {
        let lookup: BSONDocument = ["aggregate": "c", "pipeline": [
            ["$lookup": ["from": ["db": "other", "coll": "x"], "as": "j"]]]]
        #expect(!Self.allowed(Self.role("readWrite"), lookup))
        #expect(Self.allowed(Self.role("readWrite") + Self.role("read", "other"), lookup))
        let nested: BSONDocument = ["aggregate": "c", "pipeline": [
            ["$facet": ["f": [["$unionWith": ["coll": "c", "pipeline": [["$graphLookup": ["from": "secret"]]]]]]]]]]
        let requirements = AuthorizationTable.aggregate(nested, database: "app")
        #expect(requirements.contains(Requirement(actions: [.find], resource: .collection(database: "app", collection: "secret"))))
        let out: BSONDocument = ["aggregate": "c", "pipeline": [["$out": ["db": "other", "coll": "x"]]]]
        #expect(!Self.allowed(Self.role("readWrite") + Self.role("read", "other"), out))
        #expect(Self.allowed(Self.role("readWrite") + Self.role("readWrite", "other"), out))
        let merge: BSONDocument = ["aggregate": "c", "pipeline": [["$merge": ["into": ["db": "other", "coll": "x"]]]]]
        #expect(!Self.allowed(Self.role("readWrite"), merge))
        let changeStream: BSONDocument = ["aggregate": "c", "pipeline": [["$changeStream": [:]]]]
        #expect(Self.allowed(Self.role("read"), changeStream))
        #expect(!Self.allowed(Self.role("dbAdmin"), changeStream))
    }

    @Test func explainNeedsWhatTheExplainedCommandNeeds() {
        #expect(Self.allowed(Self.role("read"), ["explain": ["find": "c"]]))
        #expect(!Self.allowed(Self.role("read"), ["explain": ["delete": "c", "deletes": []]]))
    }

    @Test func loopbackAddressesAreRecognised() {
        #expect(isLoopback("127.0.0.1:5000") && isLoopback("[::1]:5000") && isLoopback("127.1.2.3:1"))
        #expect(!isLoopback("10.0.0.1:5000") && !isLoopback("[fe80::1]:5000") && !isLoopback("unknown"))
    }
}

@Suite struct UsersInfoAuthorizationTests {
    @Test func usersOfOtherDatabasesNeedViewUserThere() {
        let mine = AuthorizationTableTests.role("userAdmin")
        #expect(AuthorizationTableTests.allowed(mine, ["usersInfo": 1]))
        #expect(AuthorizationTableTests.allowed(mine, ["usersInfo": ["user": "u", "db": "app"]]))
        #expect(!AuthorizationTableTests.allowed(mine, ["usersInfo": ["user": "u", "db": "admin"]]))
        #expect(!AuthorizationTableTests.allowed(mine, ["usersInfo": [["user": "u", "db": "app"], ["user": "v", "db": "b"]]]))
        #expect(!AuthorizationTableTests.allowed(mine, ["usersInfo": ["forAllDBs": true]]))
        #expect(AuthorizationTableTests.allowed(AuthorizationTableTests.role("userAdminAnyDatabase", "admin"),
                                                ["usersInfo": ["forAllDBs": true]]))
    }
}

@Suite struct SystemCollectionAuthorizationTests {
    @Test func databaseRolesDoNotReachTheUsersCollection() {
        let admin = AuthorizationTableTests.role("dbOwner", "admin")
        #expect(AuthorizationTableTests.allowed(admin, ["renameCollection": "admin.a", "to": "admin.b"], database: "admin"))
        #expect(!AuthorizationTableTests.allowed(admin, ["renameCollection": "admin.system.users", "to": "admin.u"], database: "admin"))
        #expect(!AuthorizationTableTests.allowed(admin, ["drop": "system.users"], database: "admin"))
        #expect(!AuthorizationTableTests.allowed(admin, ["find": "system.users"], database: "admin"))
        #expect(!AuthorizationTableTests.allowed(admin, ["aggregate": "a", "pipeline": [["$lookup": ["from": "system.users", "as": "u"]]]],
                                                 database: "admin"))
    }

    @Test func currentOpNeverShowsPasswords() {
        let summary = CommandDispatcher.summary(of: ["createUser": "u", "pwd": "secret", "roles": []])
        #expect(summary["pwd"] == "xxx")
        #expect(CommandDispatcher.summary(of: ["saslStart": 1, "payload": .binary(BSONBinary(bytes: [1]))])["payload"] == "xxx")
    }
}

@Suite struct CustomRoleTests {
    @Test func privilegeDocumentsParseToPatterns() throws {
        let parsed = try RoleRecord.privileges([
            ["resource": ["db": "app", "collection": "c"], "actions": ["find", "insert"]],
            ["resource": ["db": "app", "collection": ""], "actions": ["listCollections"]],
            ["resource": ["db": "", "collection": "logs"], "actions": ["find"]],
            ["resource": ["cluster": true], "actions": ["serverStatus"]],
        ])
        #expect(parsed.map(\.resource) == [.collection(database: "app", collection: "c"), .database("app"),
                                           .collectionInAnyDatabase("logs"), .cluster])
        #expect(parsed[0].actions == [.find, .insert])
        #expect(BuiltInRoles.allows(parsed, [.find], on: .collection(database: "x", collection: "logs")))
        #expect(!BuiltInRoles.allows(parsed, [.find], on: .collection(database: "app", collection: "d")))
        for document in parsed.map(RoleRecord.document) {
            #expect(try RoleRecord.privileges([.document(document)]).count == 1)
        }
    }

    @Test func malformedPrivilegesAreRejected() {
        let bad: [BSONValue] = [
            1, ["resource": ["db": "app"], "actions": ["find"]], ["resource": ["db": "a", "collection": "c"], "actions": []],
            ["resource": ["db": "a", "collection": "c"], "actions": ["fly"]], ["actions": ["find"]],
            ["resource": ["cluster": true, "db": "x"], "actions": ["find"]],
        ]
        for privilege in bad {
            #expect(throws: MongoError.self) { try RoleRecord.privileges([privilege]) }
        }
    }
}
