// The authorization check the dispatcher runs before every handler, and its bookkeeping
// after: with `--auth`, who may run what (AuthorizationTable × the users' built-in roles), the
// localhost exception, ownership of cursors, sessions and operations (killOp), listDatabases
// filtering and what hello shows before a login. Without `--auth`, nothing.

import BSON
import Query

extension ServerState {
    /// Why `connection` may not run command `name` now, or `nil` when it may: the table's
    /// verdict, then whose session the command uses and whose operation killOp names.
    func authorizationDenial(_ name: String, _ request: CommandRequest, connection: ConnectionInfo) -> MongoError? {
        if let denial = auth.denial(name, request, connection: connection) { return denial }
        guard auth.enabled, !auth.isAnonymous(connection.id) else { return nil }
        if case let .document(lsid)? = request.body["lsid"], case let .binary(id)? = lsid["id"],
           !auth.claimSession(id, connection: connection.id, isLive: sessions.contains) {
            return MongoError(.unauthorized, "Unauthorized: the session in lsid belongs to another user")
        }
        if name == "killOp", !auth.holds([.killop], on: .cluster, connection: connection.id) {
            // As mongod: only an operation of a user this connection shares; a missing or
            // foreign opid answers the same, so opids of others cannot be probed.
            guard let opid = request.body["op"]?.int64Value, let id = Int32(exactly: opid),
                  let operation = operations.operation(id), auth.coauthorized(operation.connectionID, connection.id)
            else { return MongoError(.unauthorized, "Unauthorized") }
        }
        return nil
    }

    /// Of `ids`, the sessions `connection` may end or kill: every one with `killAnySession`
    /// (killSessions only), else its users' own; an empty killSessions list means all of them.
    func killableSessions(_ ids: [BSONBinary], command: String, connection: ConnectionInfo) -> [BSONBinary] {
        guard auth.enabled else { return ids }
        if command == "killSessions", auth.holds([.killAnySession], on: .cluster, connection: connection.id) {
            return ids.isEmpty ? Array(sessions.all.union(cursors.allSessions())) : ids
        }
        if command == "killSessions", ids.isEmpty { return auth.sessionsOwned(by: connection.id) }
        return auth.ownSessions(ids, connection: connection.id)
    }

    /// Whether `connection` may see `operation` in currentOp: everyone's with `inprog` unless
    /// it asked for `$ownOps`, else only operations of a user it shares.
    func showsOperation(_ operation: Operation, ownOps: Bool, connection: ConnectionInfo) -> Bool {
        guard auth.enabled, ownOps || !auth.holds([.inprog], on: .cluster, connection: connection.id) else { return true }
        return auth.coauthorized(operation.connectionID, connection.id)
    }

    /// The sessions `$listLocalSessions` shows `connection`: all (`allUsers`, or without
    /// `--auth`), else its users' own.
    func listedSessions(allUsers: Bool, connection: ConnectionInfo) -> Set<BSONBinary> {
        let all = sessions.all
        guard auth.enabled, !allUsers else { return all }
        return all.intersection(auth.sessionsOwned(by: connection.id))
    }
}

extension AuthState {
    /// Whether the users on `connection` hold `actions` on `resource`.
    func holds(_ actions: Set<ActionType>, on resource: Resource, connection: Int64) -> Bool {
        BuiltInRoles.allows(privileges(on: connection), actions, on: resource)
    }

    /// Why `connection` may not run command `name` now, or `nil` when it may.
    func denial(_ name: String, _ request: CommandRequest, connection: ConnectionInfo) -> MongoError? {
        guard enabled else { return nil }
        let rule = AuthorizationTable.rule(for: name, body: request.body, database: request.database)
            ?? .requires([Requirement(actions: Set(ActionType.allCases), resource: .cluster)])
        if rule == .unauthenticated { return nil }
        let users = users(on: connection.id)
        if users.isEmpty {
            if name == "createUser", isLoopback(connection.remoteAddress), (try? store.hasUsers()) == false {
                return nil  // the localhost exception: the first user
            }
            return MongoError(.unauthorized, "Command \(name) requires authentication")
        }
        switch rule {
        case .unauthenticated:
            return nil
        case .authenticated:
            return cursorDenial(name, request, connection: connection)
        case let .requires(requirements):
            let privileges = privileges(on: connection.id)
            for requirement in requirements
            where !BuiltInRoles.allows(privileges, requirement.actions, on: requirement.resource) {
                if name == "usersInfo", asksOnlyAboutThemselves(request, users: Set(users.keys)) { return nil }
                return MongoError(.unauthorized,
                                  "not authorized on \(requirement.resource.database ?? request.database) to execute command { \(name): \(request.body.first?.value.extendedJSON() ?? "") }")
            }
            return nil
        }
    }

    /// getMore and killCursors on a cursor another user opened.
    private func cursorDenial(_ name: String, _ request: CommandRequest, connection: ConnectionInfo) -> MongoError? {
        var ids: [Int64] = []
        if name == "getMore", let id = request.body.first?.value.int64Value { ids = [id] }
        if name == "killCursors", case let .array(values)? = request.body["cursors"] { ids = values.compactMap(\.int64Value) }
        for id in ids where !mayUseCursor(id, connection: connection.id) {
            return MongoError(.unauthorized, "cursor id \(id) was not created by the authenticated user")
        }
        return nil
    }

    /// The sessions an endSessions/killSessions/killAllSessions request named that are gone now.
    private func sessionIDsNoLongerLive(_ request: CommandRequest, isLive: (BSONBinary) -> Bool) -> [BSONBinary] {
        guard case let .array(values)? = request.body.first?.value else { return [] }
        return values.compactMap { value in
            guard case let .document(lsid) = value, case let .binary(id)? = lsid["id"], !isLive(id) else { return nil }
            return id
        }
    }

    private func asksOnlyAboutThemselves(_ request: CommandRequest, users: Set<UserName>) -> Bool {
        switch request.body.first?.value {
        case let .string(user)?:
            return users.contains(UserName(user: user, db: request.database))
        case let .document(spec)?:
            guard case let .string(user)? = spec["user"], case let .string(db)? = spec["db"] else { return false }
            return users.contains(UserName(user: user, db: db))
        case let .array(values)?:
            return !values.isEmpty && values.allSatisfy { value in
                asksOnlyAboutThemselves(CommandRequest(database: request.database, body: ["usersInfo": value]), users: users)
            }
        default:
            return false
        }
    }

    /// Fields hello leaves out before a login under `--auth`: when and how much was written.
    /// Everything drivers need to pick a server and log in stays.
    static let helloFieldsHiddenBeforeLogin = ["lastWrite", "localTime"]
    /// hello and its legacy names.
    static let helloNames: Set<String> = ["hello", "isMaster", "ismaster"]

    /// After a command succeeded: records who owns the cursor or session it opened, forgets
    /// cursors and sessions it closed, limits listDatabases to the databases the users have
    /// privileges on, and trims hello before a login.
    func commandSucceeded(_ name: String, _ request: CommandRequest, connection: ConnectionInfo,
                          reply: inout BSONDocument, cursorIsOpen: (Int64) -> Bool,
                          sessionIsLive: (BSONBinary) -> Bool) {
        guard enabled else { return }
        if Self.helloNames.contains(name), isAnonymous(connection.id) {
            for field in Self.helloFieldsHiddenBeforeLogin { _ = reply.removeValue(forKey: field) }
        }
        if name == "startSession", case let .document(lsid)? = reply["id"], case let .binary(id)? = lsid["id"] {
            _ = claimSession(id, connection: connection.id, isLive: sessionIsLive)
        }
        if name == "endSessions" || name == "killSessions" || name == "killAllSessions" {
            forgetSessions(sessionIDsNoLongerLive(request, isLive: sessionIsLive))
        }
        if case let .document(cursor)? = reply["cursor"], let id = cursor["id"]?.int64Value {
            if name == "getMore" {
                if id == 0, let old = request.body.first?.value.int64Value { forgetCursor(old) }
            } else if id != 0 {
                recordCursor(id, connection: connection.id, stillOpen: cursorIsOpen)
            }
        }
        if name == "killCursors", case let .array(values)? = request.body["cursors"] {
            for id in values.compactMap(\.int64Value) { forgetCursor(id) }
        }
        if name == "listDatabases", case let .array(databases)? = reply["databases"] {
            let privileges = privileges(on: connection.id)
            guard !BuiltInRoles.allows(privileges, [.listDatabases], on: .cluster) else { return }
            let visible = databases.filter { entry in
                guard case let .document(database) = entry, case let .string(db)? = database["name"] else { return false }
                return privileges.contains { $0.resource.covers(.database(db)) }
            }
            reply["databases"] = .array(visible)
        }
    }
}
