// FailPoints: MongoDB's test-only fail points (`configureFailPoint`, `waitForFailPoint`),
// of which Tessera has `failCommand`, `failGetMoreAfterCursorCheckout`,
// `maxTimeAlwaysTimeOut` and `onPrimaryTransactionalWrite` (the ones drivers' test suites set). Owns each fail point's mode state machine (off, alwaysOn,
// times, skip), its data and its entry count; never runs or blocks a command itself.

import BSON
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One fail point's state: its mode, its data and how often it has fired. A value type with
/// no clock or lock, so every transition is unit-tested directly.
struct FailPoint: Sendable, Equatable {
    /// MongoDB's fail point modes (`fail_point.h`), as `configureFailPoint`'s `mode` gives them.
    enum Mode: Sendable, Equatable {
        /// Never fires.
        case off
        /// Fires on every matching evaluation.
        case alwaysOn
        /// Fires on the next `n` matching evaluations, then turns itself off.
        case times(Int64)
        /// Lets the next `n` matching evaluations pass, then fires on every one.
        case skip(Int64)

        /// The mode `configureFailPoint` asks for.
        ///
        /// - Throws: `BadValue` (2) for a missing or unknown mode, a negative count, or a
        ///   mode document without `times` or `skip`.
        init(parsing value: BSONValue?) throws(MongoError) {
            switch value {
            case nil:
                throw MongoError(.badValue, "When setting a failpoint, you must supply a 'mode'")
            case .string("alwaysOn")?: self = .alwaysOn
            case .string("off")?: self = .off
            case let .string(other)?:
                throw MongoError(.badValue, "unknown mode: \(other) in failpoint mode")
            case let .document(options)?:
                if let times = options["times"] {
                    self = .times(try Self.count(times, name: "times"))
                } else if let skip = options["skip"] {
                    self = .skip(try Self.count(skip, name: "skip"))
                } else if options["activationProbability"] != nil {
                    throw MongoError(.badValue, "failpoint mode 'activationProbability' is not supported")
                } else {
                    throw MongoError(.badValue, "mode must be one of 'off', 'alwaysOn', {times: n} or {skip: n}")
                }
            case let other?:
                throw MongoError(.typeMismatch, "'mode' must be a string or JSON object, not \(other.type.alias)")
            }
        }

        private static func count(_ value: BSONValue, name: String) throws(MongoError) -> Int64 {
            guard value.isNumeric, let count = ClientNumber.saturatedInteger(value) else {
                throw MongoError(.typeMismatch, "'\(name)' option to 'mode' must be a number")
            }
            guard count >= 0 else { throw MongoError(.badValue, "'\(name)' option to 'mode' must be positive") }
            return min(count, Int64(Int32.max))
        }
    }

    /// The current mode.
    private(set) var mode: Mode = .off
    /// The `data` document given with the mode.
    private(set) var data: BSONDocument = [:]
    /// How many times it has fired since start (not reset by a new mode, as in MongoDB).
    private(set) var timesEntered: Int64 = 0

    /// Whether it can fire at all.
    var isActive: Bool { mode != .off }

    /// Sets a new mode and data; returns the entry count before, `configureFailPoint`'s `count`.
    mutating func configure(_ mode: Mode, data: BSONDocument) -> Int64 {
        self.mode = mode
        self.data = data
        if case .times(0) = mode { self.mode = .off }
        return timesEntered
    }

    /// One evaluation whose predicate matched: true when the fail point fires (and counts it).
    mutating func enter() -> Bool {
        switch mode {
        case .off:
            return false
        case .alwaysOn:
            break
        case let .times(remaining):
            mode = remaining > 1 ? .times(remaining - 1) : .off
        case let .skip(remaining):
            if remaining > 0 {
                mode = .skip(remaining - 1)
                return false
            }
        }
        timesEntered += 1
        return true
    }
}

/// What an active `failCommand` does to one command, decided before the command runs.
struct FailCommandAction: Sendable, Equatable {
    /// Close the client's connection instead of replying.
    var closeConnection = false
    /// Hold the command this long first (`blockConnection` with `blockTimeMS`).
    var block: Duration?
    /// Fail with this error instead of running.
    var error: MongoError?
    /// Labels that replace the reply's own `errorLabels`.
    var errorLabels: [BSONValue]?
}

/// What a fired `onPrimaryTransactionalWrite` does to one retryable write command.
struct TransactionalWriteFailure: Sendable, Equatable {
    /// Close the connection instead of replying (`closeConnection`, true unless given false).
    var closeConnection: Bool
    /// Fail the write with this error instead of committing it (`failBeforeCommitExceptionCode`).
    var error: MongoError?

    init(closeConnection: Bool, error: MongoError? = nil) {
        self.closeConnection = closeConnection
        self.error = error
    }
}

/// The server's fail points by name. Thread-safe; one per server.
final class FailPoints: Sendable {
    /// The fail points this server has.
    static let names: Set<String> = [
        "failCommand", "failGetMoreAfterCursorCheckout", "maxTimeAlwaysTimeOut", "onPrimaryTransactionalWrite",
    ]
    /// The longest `blockTimeMS` honoured: a client cannot hold a pool thread longer.
    static let maxBlock = Duration.seconds(60)

    private let points = Mutex<[String: FailPoint]>([:])

    /// Sets `name`'s mode and data; returns its entry count before.
    ///
    /// - Throws: `FailPointSetFailed` (266) for an unknown name; `BadValue` for a bad mode.
    func configure(_ name: String, mode: BSONValue?, data: BSONDocument) throws(MongoError) -> Int64 {
        guard Self.names.contains(name) else { throw MongoError(Self.failPointSetFailed, "\(name) not found") }
        let parsed = try FailPoint.Mode(parsing: mode)
        return points.withLock { $0[name, default: FailPoint()].configure(parsed, data: data) }
    }

    /// How often `name` has fired.
    ///
    /// - Throws: `FailPointSetFailed` (266) for an unknown name.
    func timesEntered(_ name: String) throws(MongoError) -> Int64 {
        guard Self.names.contains(name) else { throw MongoError(Self.failPointSetFailed, "\(name) not found") }
        return points.withLock { $0[name]?.timesEntered ?? 0 }
    }

    /// True while `failCommand` may fire (the dispatcher then runs nothing on the event loop).
    var failCommandIsActive: Bool {
        points.withLock { $0["failCommand"]?.isActive ?? false }
    }

    /// Evaluates `failCommand` for a command named one of `names`, on `namespace`, from a
    /// client whose hello named it `appName`. `afterRun` picks the evaluation that happens once
    /// the command has run (a fail point with only `writeConcernError`) over the one before it.
    /// Returns the fail point's data when it fires.
    func failCommand(names: [String], namespace: String, appName: String?, afterRun: Bool) -> BSONDocument? {
        evaluate("failCommand") { data in
            Self.matches(data, names: names, namespace: namespace, appName: appName)
                && Self.actsBeforeRun(data) != afterRun
                && (afterRun == false || data["writeConcernError"] != nil)
        }
    }

    /// Evaluates `failGetMoreAfterCursorCheckout` for a getMore on `namespace` that has its
    /// cursor: the error it then fails with (`data.errorCode`, else InternalError), or `nil`.
    /// `data`'s `namespace` and `appName` select getMores as they select commands for `failCommand`.
    func getMoreAfterCursorCheckout(namespace: String, appName: String?) -> MongoError? {
        guard let data = evaluate("failGetMoreAfterCursorCheckout", where: { data in
            var selector = data
            selector["failCommands"] = .array(["getMore"])
            return Self.matches(selector, names: ["getMore"], namespace: namespace, appName: appName)
        }) else { return nil }
        var code = MongoError.Code.internalError
        if let value = data["errorCode"], value.isNumeric, let number = ClientNumber.saturatedInteger(value),
           let small = Int32(exactly: number) {
            code = Self.codeNamed(small)
        }
        return MongoError(code, "Hit the 'failGetMoreAfterCursorCheckout' failpoint")
    }

    /// Evaluates `maxTimeAlwaysTimeOut` for an operation with a `maxTimeMS`: true when it
    /// fires (the operation then fails with MaxTimeMSExpired, as at an expired deadline).
    func maxTimeAlwaysTimesOut() -> Bool {
        evaluate("maxTimeAlwaysTimeOut") { _ in true } != nil
    }

    /// Evaluates `onPrimaryTransactionalWrite` for the first execution of a retryable write of
    /// `statements` statements (documents, updates, deletes), once per statement as mongod's
    /// `TransactionParticipant` does when each statement's write completes: the fail point
    /// counts (and `times`/`skip` advance) per statement. Returns what it does when it fired
    /// for any statement. Evaluation stops at a statement it fails with an error; with only
    /// `closeConnection` every statement is evaluated, since each of them commits.
    func onPrimaryTransactionalWrite(statements: Int) -> TransactionalWriteFailure? {
        var failure: TransactionalWriteFailure?
        for _ in 0..<max(statements, 1) {
            guard let data = evaluate("onPrimaryTransactionalWrite", where: { _ in true }) else { continue }
            var fired = TransactionalWriteFailure(closeConnection: data["closeConnection"].map { Self.flag($0) } ?? true)
            if let value = data["failBeforeCommitExceptionCode"], value.isNumeric,
               let number = ClientNumber.saturatedInteger(value), let code = Int32(exactly: number) {
                fired.error = MongoError(Self.codeNamed(code), "Failing write due to failpoint. The write must not be reflected.")
                return fired
            }
            failure = fired
        }
        return failure
    }

    /// Enters fail point `name` when it is active and `predicate` selects its data; returns
    /// the data when it fired.
    private func evaluate(_ name: String, where predicate: (BSONDocument) -> Bool) -> BSONDocument? {
        points.withLock { (table: inout [String: FailPoint]) -> BSONDocument? in
            guard var point = table[name], point.isActive, predicate(point.data) else { return nil }
            let fired = point.enter()
            table[name] = point
            return fired ? point.data : nil
        }
    }

    /// Whether `failCommand`'s `data` selects this command (`shouldActivateFailCommandFailPoint`):
    /// never configureFailPoint; `appName` and `namespace` when given; `failAllCommands` or a
    /// name in `failCommands`. Tessera has no internal clients, so `failInternalCommands` changes nothing.
    static func matches(_ data: BSONDocument, names: [String], namespace: String, appName: String?) -> Bool {
        if names.contains("configureFailPoint") { return false }
        if let wanted = data["appName"], wanted.stringValue != (appName ?? "") { return false }
        if let wanted = data["namespace"], wanted.stringValue != namespace { return false }
        if data["failAllCommands"] != nil { return true }
        guard case let .array(commands)? = data["failCommands"] else { return false }
        return commands.contains { command in command.stringValue.map(names.contains) ?? false }
    }

    /// True when the data acts before the command runs (`closeConnection`, `blockConnection`
    /// or `errorCode`); false for a fail point that only adds a `writeConcernError`.
    static func actsBeforeRun(_ data: BSONDocument) -> Bool {
        flag(data["closeConnection"]) || flag(data["blockConnection"])
            || (data["errorCode"].map { $0.isNumeric } ?? false)
    }

    /// What fired `data` does, in MongoDB's order: labels, block, close, error.
    ///
    /// - Throws: `InvalidOptions` (72) for `blockConnection` without a non-negative `blockTimeMS`.
    static func action(for data: BSONDocument) throws(MongoError) -> FailCommandAction {
        var action = FailCommandAction()
        if case let .array(labels)? = data["errorLabels"] { action.errorLabels = labels }
        if flag(data["blockConnection"]) {
            guard let value = data["blockTimeMS"], value.isNumeric, let milliseconds = ClientNumber.saturatedInteger(value)
            else { throw MongoError(.invalidOptions, "must specify 'blockTimeMS' when 'blockConnection' is true") }
            guard milliseconds >= 0 else { throw MongoError(.invalidOptions, "'blockTimeMS' must be non-negative") }
            action.block = min(.milliseconds(milliseconds), maxBlock)
        }
        action.closeConnection = flag(data["closeConnection"])
        if let value = data["errorCode"], value.isNumeric, let code = ClientNumber.saturatedInteger(value),
           let small = Int32(exactly: code) {
            var details: BSONDocument = [:]
            if case let .document(extra)? = data["errorExtraInfo"] {
                for element in extra { details.append(element.key, element.value) }
            }
            action.error = MongoError(codeNamed(small), "Failing command via 'failCommand' failpoint", details: details)
        }
        return action
    }

    /// A Boolean option: true, or a non-zero number (MongoDB's `trueValue`).
    static func flag(_ value: BSONValue?) -> Bool {
        switch value {
        case let .bool(flag)?: flag
        case let number? where number.isNumeric: (number.doubleValue ?? 0) != 0
        default: false
        }
    }

    /// 266 FailPointSetFailed.
    static let failPointSetFailed = MongoError.Code(266, "FailPointSetFailed")

    /// MongoDB's name for `code`, for the codes drivers' tests inject (`Location<code>` otherwise).
    static func codeNamed(_ code: Int32) -> MongoError.Code {
        MongoError.Code(code, knownNames[code] ?? "Location\(code)")
    }

    private static let knownNames: [Int32: String] = [
        1: "InternalError", 2: "BadValue", 6: "HostUnreachable", 7: "HostNotFound", 8: "UnknownError",
        11: "UserNotFound", 13: "Unauthorized", 18: "AuthenticationFailed", 20: "IllegalOperation",
        24: "LockTimeout", 26: "NamespaceNotFound", 43: "CursorNotFound", 50: "MaxTimeMSExpired",
        63: "StaleShardVersion", 150: "StaleEpoch", 202: "NetworkInterfaceExceededTimeLimit", 249: "StaleDbVersion",
        59: "CommandNotFound", 64: "WriteConcernFailed", 72: "InvalidOptions", 89: "NetworkTimeout",
        91: "ShutdownInProgress", 100: "UnsatisfiableWriteConcern", 112: "WriteConflict",
        133: "FailedToSatisfyReadPreference", 134: "ReadConcernMajorityNotAvailableYet",
        136: "CappedPositionLost", 175: "QueryPlanKilled", 189: "PrimarySteppedDown", 211: "KeyNotFound",
        234: "RetryChangeStream", 237: "CursorKilled", 251: "NoSuchTransaction", 262: "ExceededTimeLimit",
        279: "ClientDisconnect", 280: "ChangeStreamFatalError", 286: "ChangeStreamHistoryLost",
        9001: "SocketException", 10107: "NotWritablePrimary", 11000: "DuplicateKey",
        11600: "InterruptedAtShutdown", 11601: "Interrupted", 11602: "InterruptedDueToReplStateChange",
        13388: "StaleConfig", 13435: "NotPrimaryNoSecondaryOk", 13436: "NotPrimaryOrSecondary",
    ]

    /// The codes after which a retryable write may be retried (MongoDB's `RetriableError`
    /// category: network, shutdown and not-primary errors); the server labels such a failed
    /// retryable write `RetryableWriteError` unless the fail point gives its own labels.
    static let retryableCodes: Set<Int32> = [6, 7, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436]

    /// The codes a failed getMore on a change stream is labelled `ResumableChangeStreamError`
    /// for (mongod's `isResumableChangeStreamError`: retriable, network and re-targeting
    /// errors, RetryChangeStream, FailedToSatisfyReadPreference), so drivers resume.
    static let resumableChangeStreamCodes: Set<Int32> = retryableCodes.union([63, 133, 134, 150, 202, 234, 249, 13388])
}

/// Sleeping on a thread-pool thread (never an event loop): failCommand's `blockConnection`
/// and `waitForFailPoint`'s polling.
enum PoolThread {
    /// Blocks the calling thread for `duration` (non-positive: returns at once).
    static func sleep(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        guard seconds > 0 || attoseconds > 0 else { return }
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        var remaining = timespec()
        _ = nanosleep(&request, &remaining)
    }
}
