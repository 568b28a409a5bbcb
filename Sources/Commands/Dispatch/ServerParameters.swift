// ServerParameters: the server parameters getParameter reports and setParameter and
// `tessera serve --set-parameter` change — each one's name, type, bounds, when it may be set
// and its current value. Owns the checking of a parameter value from the wire or the command line.

public import BSON
public import Query
import Synchronization

/// The server's parameters, as mongod has them. One per server; thread-safe.
public final class ServerParameters: Sendable {
    /// What values a parameter takes.
    public enum Kind: Sendable, Equatable {
        /// An integer in `range`, reported as int32 (`wide == false`) or int64.
        case integer(ClosedRange<Int64>, wide: Bool)
        /// A Boolean.
        case boolean
        /// A value fixed by the server (a document or list), reported as it is.
        case fixed
    }

    /// When a parameter may be set: MongoDB's `set_at`.
    public enum Settability: Sendable, Equatable {
        /// Never: the server reports it only.
        case never
        /// Only at start (`--set-parameter` or the config file's `setParameter`).
        case startup
        /// At start and by `setParameter` while running.
        case startupAndRuntime
    }

    /// One parameter's definition.
    public struct Definition: Sendable {
        /// The parameter's name, as mongod spells it.
        public let name: String
        /// What values it takes.
        public let kind: Kind
        /// Its value until set.
        public let defaultValue: BSONValue
        /// When it may be set.
        public let settability: Settability
    }

    /// The store's default limits, which the shape parameters default to.
    private static let storeDefaults = DocumentStoreOptions()

    /// Every parameter, in the order `getParameter: "*"` lists them.
    public static let definitions: [Definition] = [
        Definition(name: "ttlMonitorEnabled", kind: .boolean, defaultValue: .bool(true), settability: .startupAndRuntime),
        Definition(name: "ttlMonitorSleepSecs", kind: .integer(1...Int64(Int32.max), wide: false),
                   defaultValue: .int32(60), settability: .startupAndRuntime),
        // MongoDB's journalCommitInterval: the longest a w:1 write waits for a WAL fsync.
        Definition(name: "journalCommitInterval", kind: .integer(1...500, wide: false),
                   defaultValue: .int32(100), settability: .startupAndRuntime),
        Definition(name: "enableTestCommands", kind: .boolean, defaultValue: .bool(false), settability: .startup),
        // The SCRAM mechanisms the server offers (fixed: they cannot be configured yet).
        Definition(name: "authenticationMechanisms", kind: .fixed,
                   defaultValue: .array(AuthCommands.mechanismNames.map { .string($0) }), settability: .never),
        // Tessera's login throttle: after this many failed logins from one host inside the
        // window, that host's further attempts fail at once until the window ends (0: off).
        Definition(name: "authFailedLoginLimit", kind: .integer(0...1_000_000, wide: false),
                   defaultValue: .int32(20), settability: .startupAndRuntime),
        Definition(name: "authFailedLoginWindowSecs", kind: .integer(1...86_400, wide: false),
                   defaultValue: .int32(60), settability: .startupAndRuntime),
        Definition(name: "featureCompatibilityVersion", kind: .fixed, defaultValue: .document(["version": "8.0"]),
                   settability: .never),
        Definition(name: "transactionLifetimeLimitSeconds", kind: .integer(1...Int64(Int32.max), wide: false),
                   defaultValue: .int32(60), settability: .startupAndRuntime),
        // MongoDB's logical session timeout: idle sessions, and retryable-write records their
        // sessions no longer use, expire after this many minutes.
        Definition(name: "localLogicalSessionTimeoutMinutes", kind: .integer(1...Int64(Int32.max), wide: false),
                   defaultValue: .int32(30), settability: .startup),
        // MongoDB's cap on live logical sessions; one more answers TooManyLogicalSessions (261).
        Definition(name: "maxSessions", kind: .integer(1...Int64(Int32.max), wide: false),
                   defaultValue: .int32(1_000_000), settability: .startup),
        // Tessera's process-wide spill allowance (see SpillBudget): spill files open at once and
        // the bytes they hold; a spill past either answers OutOfDiskSpace (14031).
        Definition(name: "spillMaxBytes", kind: .integer(0...Int64.max, wide: true),
                   defaultValue: .int64(Int64(SpillBudget.defaultMaximumBytes)), settability: .startup),
        Definition(name: "spillMaxFiles", kind: .integer(0...1_000_000, wide: false),
                   defaultValue: .int32(Int32(SpillBudget.defaultMaximumFiles)), settability: .startup),
        // Tessera's cap on collections in the store (each is a storage key space); creating
        // one more answers IllegalOperation (20).
        Definition(name: "maxCollections", kind: .integer(1...Int64(Int32.max), wide: false),
                   defaultValue: .int32(Int32(DocumentStoreOptions.defaultMaximumCollectionCount)), settability: .startup),
        // Tessera's caps on distinct document shapes: in the store, and created by one
        // collection's writes; an insert needing one more answers BadValue (2). Small values
        // let tests reach them.
        Definition(name: "maxShapes", kind: .integer(2...Int64(storeDefaults.maximumShapeCount), wide: false),
                   defaultValue: .int32(Int32(storeDefaults.maximumShapeCount)), settability: .startup),
        Definition(name: "maxShapesPerCollection", kind: .integer(1...Int64(storeDefaults.maximumShapeCount), wide: false),
                   defaultValue: .int32(Int32(storeDefaults.maximumShapesPerCollection)), settability: .startup),
        Definition(name: "cursorTimeoutMillis", kind: .integer(0...Int64.max, wide: true),
                   defaultValue: .int64(600_000), settability: .startupAndRuntime),
        // Kept and reported; the log handler's level comes from `--log-level`.
        Definition(name: "logLevel", kind: .integer(0...5, wide: false), defaultValue: .int32(0),
                   settability: .startupAndRuntime),
        Definition(name: "quiet", kind: .boolean, defaultValue: .bool(false), settability: .startupAndRuntime),
        // Enforced by the Wire layer and the sorter at fixed values.
        Definition(name: "maxBSONDepth", kind: .fixed, defaultValue: .int32(200), settability: .never),
        Definition(name: "internalQueryMaxBlockingSortMemoryUsageBytes", kind: .fixed,
                   defaultValue: .int64(100 * 1024 * 1024), settability: .never),
        Definition(name: "acceptApiVersion2", kind: .fixed, defaultValue: .bool(false), settability: .never),
        Definition(name: "requireApiVersion", kind: .fixed, defaultValue: .bool(false), settability: .never),
    ]

    private static let byName: [String: Definition] = Dictionary(
        uniqueKeysWithValues: definitions.map { ($0.name, $0) })

    private struct State: Sendable {
        var values: [String: BSONValue]
        /// The parameters given at start, as given (`getCmdLineOpts` reports them); a
        /// configured default does not replace their values.
        var startupText: [String: String] = [:]
    }

    private let state: Mutex<State>

    /// Every parameter at its default.
    public init() {
        state = Mutex(State(values: Dictionary(uniqueKeysWithValues: Self.definitions.map { ($0.name, $0.defaultValue) })))
    }

    /// The definition of `name`, if it is a parameter.
    public static func definition(_ name: String) -> Definition? {
        byName[name]
    }

    // MARK: Reading

    /// The current value of `name`, if it is a parameter.
    public func value(_ name: String) -> BSONValue? {
        state.withLock { $0.values[name] }
    }

    /// Every parameter and its value, in definition order.
    public var all: BSONDocument {
        let values = state.withLock { $0.values }
        var document = BSONDocument()
        for definition in Self.definitions {
            document.append(definition.name, values[definition.name] ?? definition.defaultValue)
        }
        return document
    }

    /// The integer value of integer parameter `name` (0 for any other).
    public func integer(_ name: String) -> Int64 {
        value(name)?.int64Value ?? 0
    }

    /// The Boolean value of Boolean parameter `name` (`false` for any other).
    public func bool(_ name: String) -> Bool {
        value(name)?.boolValue ?? false
    }

    /// The TTL monitor's schedule: `ttlMonitorEnabled` and `ttlMonitorSleepSecs`.
    public var ttlSchedule: TTLSchedule {
        TTLSchedule(isEnabled: bool("ttlMonitorEnabled"), interval: .seconds(max(1, integer("ttlMonitorSleepSecs"))))
    }

    /// How often the WAL is synced in the background (`journalCommitInterval`, milliseconds).
    public var journalCommitInterval: Duration {
        .milliseconds(max(1, integer("journalCommitInterval")))
    }

    /// How long cursors may stay idle (`cursorTimeoutMillis`).
    public var cursorTimeout: Duration {
        .milliseconds(integer("cursorTimeoutMillis"))
    }

    // MARK: Setting

    /// Sets `name` from a client's `setParameter`; returns the value it had.
    ///
    /// - Throws: `InvalidOptions` (72) for an unknown name, `IllegalOperation` (20) for one not
    ///   settable at runtime, `BadValue` (2) for a value of the wrong type or out of range.
    @discardableResult
    public func set(_ name: String, to value: BSONValue) throws(MongoError) -> BSONValue {
        let definition = try Self.known(name)
        guard definition.settability == .startupAndRuntime else {
            throw MongoError(.illegalOperation, "not allowed to change [\(name)] at runtime")
        }
        let checked = try Self.checked(value, for: definition)
        return state.withLock { state in
            let was = state.values[name] ?? definition.defaultValue
            state.values[name] = checked
            return was
        }
    }

    /// Sets a parameter from the command line's `NAME=VALUE` (or the config file's
    /// `setParameter` object, whose values arrive as text or JSON scalars).
    ///
    /// - Throws: the errors of ``set(_:to:)``, `BadValue` for text that is not a value of the
    ///   parameter's type, and `BadValue` for a parameter that is never settable.
    public func setAtStartup(_ assignment: String) throws(MongoError) {
        guard let equals = assignment.firstIndex(of: "=") else {
            throw MongoError(.badValue, "expected NAME=VALUE, found '\(assignment)'")
        }
        let name = String(assignment[..<equals])
        try setAtStartup(name, text: String(assignment[assignment.index(after: equals)...]))
    }

    /// Sets `name` at start from `text`.
    public func setAtStartup(_ name: String, text: String) throws(MongoError) {
        let definition = try Self.knownAtStartup(name)
        try setAtStartup(name, value: try Self.parse(text, for: definition), text: text)
    }

    /// Sets `name` at start to `value`, checked as a client's value would be.
    public func setAtStartup(_ name: String, value: BSONValue) throws(MongoError) {
        try setAtStartup(name, value: value, text: Self.text(value))
    }

    private func setAtStartup(_ name: String, value: BSONValue, text: String) throws(MongoError) {
        let definition = try Self.knownAtStartup(name)
        guard definition.settability != .never else {
            throw MongoError(.badValue, "parameter [\(name)] cannot be set")
        }
        let checked = try Self.checked(value, for: definition)
        state.withLock { state in
            state.values[name] = checked
            state.startupText[name] = text
        }
    }

    /// Replaces the default of `name` with `value` (a configuration's own setting) unless it
    /// was set at start; values out of range are ignored.
    public func configureDefault(_ name: String, _ value: BSONValue) {
        guard let definition = Self.byName[name], let checked = try? Self.checked(value, for: definition) else { return }
        state.withLock { state in
            if state.startupText[name] == nil { state.values[name] = checked }
        }
    }

    /// The values set at start, as mongod's `getCmdLineOpts` reports them (text).
    public var startupSettings: BSONDocument {
        let texts = state.withLock { $0.startupText }
        var document = BSONDocument()
        for definition in Self.definitions {
            if let text = texts[definition.name] { document.append(definition.name, .string(text)) }
        }
        return document
    }

    // MARK: Checking

    private static func knownAtStartup(_ name: String) throws(MongoError) -> Definition {
        guard let definition = byName[name] else {
            throw MongoError(.invalidOptions, "unknown parameter \"\(name)\"")
        }
        return definition
    }

    private static func known(_ name: String) throws(MongoError) -> Definition {
        guard let definition = byName[name] else {
            throw MongoError(.invalidOptions, "attempted to set unrecognized parameter [\(name)], use help:true to see options ")
        }
        return definition
    }

    /// `value` as `definition` stores it.
    ///
    /// - Throws: `BadValue` (2) for the wrong type, NaN, infinities, fractions and values out
    ///   of range; every number passes ``ClientNumber/exactInteger(_:)``, which cannot trap.
    static func checked(_ value: BSONValue, for definition: Definition) throws(MongoError) -> BSONValue {
        let name = definition.name
        switch definition.kind {
        case let .integer(range, wide):
            guard let number = ClientNumber.exactInteger(value) else {
                throw MongoError(.badValue, "Invalid value for parameter \(name): \(value.extendedJSON()) is not an integer")
            }
            guard number >= range.lowerBound else {
                throw MongoError(.badValue, "Invalid value for parameter \(name): \(number) is not greater than or equal to \(range.lowerBound)")
            }
            guard number <= range.upperBound else {
                throw MongoError(.badValue, "Invalid value for parameter \(name): \(number) is not less than or equal to \(range.upperBound)")
            }
            // The range of a narrow parameter lies within Int32's.
            return wide ? .int64(number) : .int32(Int32(clamping: number))
        case .boolean:
            switch value {
            case let .bool(flag):
                return .bool(flag)
            case .int32, .int64, .double, .decimal128:
                guard let number = ClientNumber.exactInteger(value), number == 0 || number == 1 else {
                    throw MongoError(.badValue, "Invalid value for parameter \(name): \(value.extendedJSON()) is not a boolean")
                }
                return .bool(number == 1)
            default:
                throw MongoError(.badValue, "Invalid value for parameter \(name): \(value.extendedJSON()) is not a boolean")
            }
        case .fixed:
            throw MongoError(.badValue, "parameter [\(name)] cannot be set")
        }
    }

    /// The value `text` stands for, for a parameter of `definition`'s kind.
    static func parse(_ text: String, for definition: Definition) throws(MongoError) -> BSONValue {
        switch definition.kind {
        case .integer:
            guard let number = Int64(text.trimmingSpaces) else {
                throw MongoError(.badValue, "Invalid value for parameter \(definition.name): '\(text)' is not an integer")
            }
            return .int64(number)
        case .boolean:
            switch text.trimmingSpaces.lowercased() {
            case "true", "1": return .bool(true)
            case "false", "0": return .bool(false)
            default: throw MongoError(.badValue, "Invalid value for parameter \(definition.name): '\(text)' is not a boolean")
            }
        case .fixed:
            throw MongoError(.badValue, "parameter [\(definition.name)] cannot be set")
        }
    }

    private static func text(_ value: BSONValue) -> String {
        switch value {
        case let .bool(flag): flag ? "true" : "false"
        case let .int32(number): String(number)
        case let .int64(number): String(number)
        default: value.extendedJSON()
        }
    }
}

extension String {
    fileprivate var trimmingSpaces: Substring {
        let start = firstIndex { $0 != " " } ?? endIndex
        let end = lastIndex { $0 != " " }.map { index(after: $0) } ?? start
        return self[start..<max(start, end)]
    }
}
