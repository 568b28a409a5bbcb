// The authorization check the dispatcher runs before every handler, and its bookkeeping
// after: with `--auth`, who may run what (AuthorizationTable × the users' built-in roles), the
// localhost exception, cursor ownership and listDatabases filtering. Without `--auth`, nothing.

import BSON
import Query

extension AuthState {
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

    /// After a command succeeded: records who owns the cursor it opened, forgets cursors it
    /// closed, and limits listDatabases to the databases the users have privileges on.
    func commandSucceeded(_ name: String, _ request: CommandRequest, connection: ConnectionInfo,
                          reply: inout BSONDocument, cursorIsOpen: (Int64) -> Bool) {
        guard enabled else { return }
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
