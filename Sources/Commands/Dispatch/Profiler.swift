// Profiler: mongod's database profiler and slow-operation log. Owns the profiling settings
// (each database's level and filter; the server-wide `slowms` and `sampleRate`; kept across
// restarts by ProfileSettingsStore), decides
// after every command whether it is profiled or logged, builds the `system.profile` entry
// (mongod's fields; one per statement for update and delete) and writes it to the database's
// capped `system.profile`, and writes the "Slow query" line in mongod's JSON log shape. The
// dispatcher calls `finished` once per command; with no database profiled and a fast command
// that is two atomic loads.

import BSON
import Logging
import Query
import Synchronization

/// One database's profiling settings.
struct DatabaseProfile: Sendable {
    /// 0 off, 1 slow operations (or those the filter selects), 2 every operation.
    var level: Int = 0
    /// The `filter` given to `profile`, parsed; it replaces `slowms`/`sampleRate` for this
    /// database's profiling and slow log.
    var filter: Filter?
}

/// What one finished command leaves for the profiler.
struct FinishedCommand {
    let name: String
    let request: CommandRequest
    let connection: ConnectionInfo
    let operation: Operation
    let reply: BSONDocument
    let duration: Duration
}

/// The profiler's settings and its hook.
final class Profiler: Sendable {
    /// The size of the `system.profile` capped collection mongod creates (1 MiB).
    static let collectionBytes: Int64 = 1_048_576
    /// Commands never profiled nor logged as slow: the handshake (awaitable hellos wait
    /// for seconds by design).
    static let exempt: Set<String> = ["hello", "isMaster", "ismaster"]

    private let slowMillis: Atomic<Int>
    private let sampleRateBits: Atomic<UInt64>
    /// How many databases have a level above 0 or a filter: when 0, only slow commands
    /// need a closer look.
    private let watchedDatabases = Atomic<Int>(0)
    private let databases = Mutex<[String: DatabaseProfile]>([:])

    /// A profiler with every database at level 0 and the given slow threshold and sample rate.
    init(slowMillis: Int, sampleRate: Double) {
        self.slowMillis = Atomic(slowMillis)
        self.sampleRateBits = Atomic(sampleRate.bitPattern)
    }

    /// The server-wide slow threshold in milliseconds.
    var slowMilliseconds: Int { slowMillis.load(ordering: .relaxed) }

    /// Whether some database has a level above 0 or a filter (then every command needs a
    /// look, not only slow ones).
    var watchesAnyDatabase: Bool { watchedDatabases.load(ordering: .relaxed) > 0 }

    /// The share of slow operations logged and profiled (0 to 1).
    var sampleRate: Double { Double(bitPattern: sampleRateBits.load(ordering: .relaxed)) }

    /// `database`'s settings.
    func profile(of database: String) -> DatabaseProfile {
        databases.withLock { $0[database] } ?? DatabaseProfile()
    }

    /// Changes `database`'s settings and the server-wide ones given; returns the previous
    /// database settings.
    func update(_ database: String, level: Int?, filter: Filter??, slowMillis: Int?,
                sampleRate: Double?) -> DatabaseProfile {
        if let slowMillis { self.slowMillis.store(slowMillis, ordering: .relaxed) }
        if let sampleRate { sampleRateBits.store(sampleRate.bitPattern, ordering: .relaxed) }
        return databases.withLock { databases in
            let previous = databases[database] ?? DatabaseProfile()
            var next = previous
            if let level { next.level = level }
            if let filter { next.filter = filter }
            let watchedBefore = previous.level > 0 || previous.filter != nil
            let watchedAfter = next.level > 0 || next.filter != nil
            if watchedAfter != watchedBefore { watchedDatabases.add(watchedAfter ? 1 : -1, ordering: .relaxed) }
            if watchedAfter { databases[database] = next } else { databases[database] = nil }
            return previous
        }
    }

    /// Forgets `database`'s settings (dropDatabase), as mongod does.
    func forget(_ database: String) {
        _ = update(database, level: 0, filter: .some(nil), slowMillis: nil, sampleRate: nil)
    }

    /// Takes on settings stored before a restart (see ``ProfileSettingsStore``).
    func restore(_ stored: ProfileSettingsStore.Stored) {
        for (database, profile) in stored.databases {
            _ = update(database, level: profile.level, filter: .some(profile.filter), slowMillis: nil, sampleRate: nil)
        }
        _ = update("", level: nil, filter: nil, slowMillis: stored.slowMillis, sampleRate: stored.sampleRate)
    }

    /// Profiles and logs `command` as the settings say. An update or delete is profiled and
    /// logged per statement (mongod's `op: "update"` / `"remove"` entries), not as one command.
    func finished(_ command: FinishedCommand, server: ServerState) {
        let millis = Self.milliseconds(command.duration)
        let slow = millis >= slowMillis.load(ordering: .relaxed)
        guard slow || watchedDatabases.load(ordering: .relaxed) > 0 else { return }
        guard !Self.exempt.contains(command.name), !CommandDispatcher.closesConnection(command.reply) else { return }
        let settings = profile(of: command.request.database)
        if command.name == "update" || command.name == "delete" {
            for statement in command.operation.statements.all {
                let statementMillis = Self.milliseconds(statement.duration)
                report(settings, slow: statementMillis >= slowMillis.load(ordering: .relaxed), command: command,
                       millis: statementMillis, server: server) {
                    Self.entry(statement, of: command, millis: statementMillis, server: server)
                }
            }
            return
        }
        report(settings, slow: slow, command: command, millis: millis, server: server) {
            Self.entry(command, millis: millis, server: server)
        }
    }

    /// Logs and records one entry (built by `build` only when needed) as `settings` say.
    private func report(_ settings: DatabaseProfile, slow: Bool, command: FinishedCommand, millis: Int,
                        server: ServerState, build: () -> BSONDocument) {
        let record: Bool
        let log: Bool
        var entry: BSONDocument?
        if let filter = settings.filter {
            let built = build()
            entry = built
            log = filter.matches(built)
            record = settings.level > 0 && log
        } else {
            let sampled = Self.sampled(sampleRate)
            log = slow && sampled
            record = settings.level == 2 || (settings.level == 1 && slow && sampled)
        }
        guard log || record else { return }
        let finished = entry ?? build()
        if log { Self.logSlow(finished, command: command, millis: millis, server: server) }
        if record { Self.write(finished, database: command.request.database, server: server) }
    }

    /// Whether this operation falls in the sample.
    private static func sampled(_ rate: Double) -> Bool {
        if rate >= 1 { return true }
        if rate <= 0 { return false }
        var generator = SystemRandomNumberGenerator()
        return Double.random(in: 0..<1, using: &generator) < rate
    }

    /// Whole milliseconds in `duration` (saturating).
    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        let (millis, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        if overflow { return seconds < 0 ? .min : .max }
        return Int(clamping: millis.addingReportingOverflow(attoseconds / 1_000_000_000_000_000).partialValue)
    }

    // MARK: Entries

    /// mongod's `op` for a command.
    static func opName(_ name: String) -> String {
        switch name {
        case "find": return "query"
        case "insert": return "insert"
        case "update": return "update"
        case "delete": return "remove"
        case "getMore": return "getmore"
        default: return "command"
        }
    }

    /// `db.collection` the command worked on (getMore names it in `collection`).
    static func namespace(_ request: CommandRequest) -> String {
        if request.body.first?.key == "getMore", case let .string(collection)? = request.body["collection"] {
            return "\(request.database).\(collection)"
        }
        return CommandDispatcher.namespace(of: request)
    }

    /// The `system.profile` document for a finished command, with mongod's field names.
    static func entry(_ command: FinishedCommand, millis: Int, server: ServerState) -> BSONDocument {
        let reply = command.reply
        let tally = command.operation.tally
        var entry: BSONDocument = [
            "op": .string(opName(command.name)),
            "ns": .string(namespace(command.request)),
            "command": bounded(command.operation.command, limit: maximumProfiledCommandBytes),
        ]
        if let cursorID = reply["cursor"]?.documentValue?["id"], case .int64 = cursorID {
            entry.append("cursorid", cursorID)
        }
        if tally.sortedInMemory { entry.append("hasSortStage", .bool(true)) }
        entry.append("keysExamined", .int64(Int64(tally.keysExamined)))
        entry.append("docsExamined", .int64(Int64(tally.docsExamined)))
        let n = reply["n"].flatMap(ClientNumber.saturatedInteger) ?? 0
        switch command.name {
        case "insert": entry.append("ninserted", .int64(n))
        case "update":
            entry.append("nMatched", .int64(n))
            entry.append("nModified", .int64(reply["nModified"].flatMap(ClientNumber.saturatedInteger) ?? 0))
            if case let .array(upserted)? = reply["upserted"] { entry.append("nUpserted", .int64(Int64(upserted.count))) }
        case "delete": entry.append("ndeleted", .int64(n))
        default: break
        }
        if case let .document(cursor)? = reply["cursor"] {
            let batch = cursor["firstBatch"] ?? cursor["nextBatch"]
            if case let .array(documents)? = batch { entry.append("nreturned", .int64(Int64(documents.count))) }
            if case let .int64(id)? = cursor["id"], id == 0 { entry.append("cursorExhausted", .bool(true)) }
        } else if command.name == "count" || command.name == "distinct" {
            entry.append("nreturned", .int64(1))
        }
        entry.append("numYield", .int32(0))
        entry.append("locks", .document(BSONDocument()))
        if reply["ok"]?.doubleValue != 1 {
            entry.append("ok", .double(0))
            if let code = reply["code"] { entry.append("errCode", code) }
            if let name = reply["codeName"] { entry.append("errName", name) }
            if let message = reply["errmsg"] { entry.append("errMsg", message) }
        }
        entry.append("responseLength", .int64(Int64(BSONSize.of(reply))))
        entry.append("protocol", .string(command.request.isLegacy ? "op_query" : "op_msg"))
        appendTail(to: &entry, command: command, millis: millis, planSummary: tally.planSummary, server: server)
        return entry
    }

    /// The `system.profile` document for one statement of an update or delete, as mongod
    /// writes it: the statement's own `command`, figures and duration.
    static func entry(_ statement: ProfiledStatement, of command: FinishedCommand, millis: Int,
                      server: ServerState) -> BSONDocument {
        var entry: BSONDocument = [
            "op": .string(statement.op),
            "ns": .string(namespace(command.request)),
            "command": bounded(statement.command, limit: maximumProfiledCommandBytes),
            "keysExamined": .int64(Int64(statement.keysExamined)),
            "docsExamined": .int64(Int64(statement.docsExamined)),
        ]
        for count in statement.counts { entry.append(count.key, count.value) }
        entry.append("numYield", .int32(0))
        entry.append("locks", .document(BSONDocument()))
        if let error = statement.error {
            entry.append("ok", .double(0))
            entry.append("errCode", .int32(error.code.rawValue))
            entry.append("errName", .string(error.code.name))
            entry.append("errMsg", .string(error.message))
        }
        appendTail(to: &entry, command: command, millis: millis, planSummary: statement.planSummary, server: server)
        return entry
    }

    /// The fields every entry ends with: duration, access path, time and who ran it.
    private static func appendTail(to entry: inout BSONDocument, command: FinishedCommand, millis: Int,
                                   planSummary: String?, server: ServerState) {
        entry.append("millis", .int64(Int64(millis)))
        if let planSummary { entry.append("planSummary", .string(planSummary)) }
        entry.append("ts", .datetime(WallClock.now()))
        entry.append("client", .string(splitHostPort(command.connection.remoteAddress).host))
        if let appName = server.applicationName(connection: command.connection.id) {
            entry.append("appName", .string(appName))
        }
        let users = server.auth.users(on: command.connection.id).keys.sorted()
        entry.append("allUsers", .array(users.map { .document(["user": .string($0.user), "db": .string($0.db)]) }))
        entry.append("user", .string(users.first.map { "\($0.user)@\($0.db)" } ?? ""))
    }

    /// Appends `entry` to `database.system.profile`, creating that capped collection when missing.
    /// A failure is logged, never reported to the client.
    static func write(_ entry: BSONDocument, database: String, server: ServerState) {
        do throws(MongoError) {
            try createCollection(in: database, engine: server.engine)
            try server.engine.collection("system.profile", in: database).insert(entry)
        } catch {
            server.logger.warning("cannot write a profile entry", metadata: ["db": "\(database)", "error": "\(error)"])
        }
    }

    /// Creates `database.system.profile` (capped, 1 MiB) unless it exists.
    static func createCollection(in database: String, engine: QueryEngine) throws(MongoError) {
        let namespace = try Namespace(database: database, collection: "system.profile")
        guard engine.collectionDescription(namespace) == nil else { return }
        do {
            try engine.createCollection(namespace, options: ["capped": .bool(true), "size": .int64(collectionBytes)])
        } catch where error.code == .namespaceExists {
            return
        }
    }

    /// The longest command a profile entry keeps whole (mongod's 50 KB).
    static let maximumProfiledCommandBytes = 50 * 1024

    /// `command` as a profile entry or log line keeps it: whole when its JSON fits in `limit`
    /// bytes, else mongod's `{$truncated: <the JSON's first limit bytes>, comment}`, so neither
    /// `system.profile` nor getLog's reply grows with what a client sends.
    static func bounded(_ command: BSONDocument, limit: Int) -> BSONValue {
        let json = BSONValue.document(command).extendedJSON()
        guard json.utf8.count > limit else { return .document(command) }
        var truncated: BSONDocument = ["$truncated": .string(String(decoding: json.utf8.prefix(limit), as: UTF8.self))]
        if let comment = command["comment"], comment.extendedJSON().utf8.count <= limit {
            truncated.append("comment", comment)
        }
        return .document(truncated)
    }

    // MARK: Slow-operation log

    /// Logs mongod's "Slow query" line (id 51803) and keeps it for `getLog`.
    static func logSlow(_ entry: BSONDocument, command: FinishedCommand, millis: Int, server: ServerState) {
        // mongod logs an OP_MSG command as type "command", a write's statement as its op.
        let statement = entry["op"] == "update" || entry["op"] == "remove"
        var attributes: BSONDocument = [
            "type": statement ? entry["op"] ?? "command" : "command",
            "ns": entry["ns"] ?? .null,
        ]
        if let appName = entry["appName"] { attributes.append("appName", appName) }
        attributes.append("command", statement ? entry["command"] ?? .null
                                               : bounded(command.operation.command, limit: ServerState.maximumLoggedAttributeBytes))
        for field in ["planSummary", "cursorid", "hasSortStage", "keysExamined", "docsExamined", "cursorExhausted", "ninserted",
                      "nMatched", "nModified", "nUpserted", "ndeleted", "nreturned", "numYield", "ok", "errMsg",
                      "errName", "errCode"] {
            if let value = entry[field] { attributes.append(field, value) }
        }
        attributes.append("reslen", entry["responseLength"] ?? .int64(0))
        attributes.append("locks", .document(BSONDocument()))
        attributes.append("remote", .string(command.connection.remoteAddress))
        attributes.append("protocol", entry["protocol"] ?? "op_msg")
        attributes.append("durationMillis", .int64(Int64(millis)))
        let line: BSONDocument = [
            "t": .datetime(WallClock.now()),
            "s": "I", "c": "COMMAND", "id": .int32(51803), "ctx": .string("conn\(command.connection.id)"),
            "msg": "Slow query", "attr": .document(attributes),
        ]
        let json = BSONValue.document(line).extendedJSON()
        server.logger.info("Slow query", metadata: ["attr": "\(BSONValue.document(attributes).extendedJSON())"])
        server.remember(json)
    }
}
