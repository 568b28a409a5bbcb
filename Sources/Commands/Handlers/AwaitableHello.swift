// The awaitable hello of the SDAM streaming protocol: its `topologyVersion` and
// `maxAwaitTimeMS` arguments, checked as mongod checks them, and the checks a hello makes
// against the server's topology. Owns no waiting: the Server waits (on its event loop) before
// it runs the hello, which then answers with the topology as it is.

public import BSON

/// A `hello`/`isMaster` that asks the server to wait for a topology change.
public struct AwaitableHello: Sendable, Equatable {
    /// The topology version the client last saw.
    public var topologyVersion: TopologyVersion
    /// How long to wait for it to change, in milliseconds (0 ... ``maximumAwaitMilliseconds``).
    public var maxAwaitTimeMS: Int64

    /// The longest wait a client may ask for: maxTimeMS's bound, about 24.8 days.
    public static let maximumAwaitMilliseconds = Int64(Int32.max)

    /// An awaitable hello.
    public init(topologyVersion: TopologyVersion, maxAwaitTimeMS: Int64) {
        self.topologyVersion = topologyVersion
        self.maxAwaitTimeMS = maxAwaitTimeMS
    }

    /// The awaitable arguments of the hello/isMaster `body`; nil for any other command and for
    /// a hello with neither `topologyVersion` nor `maxAwaitTimeMS`.
    ///
    /// - Throws: `Location31368` when only one of the two is given; `TypeMismatch` (14) or
    ///   `Location40414` for a malformed `topologyVersion`, `Location31372` for a negative
    ///   counter; `TypeMismatch` for a non-numeric `maxAwaitTimeMS`, `Location51024` for a
    ///   negative one and `BadValue` (2) for NaN, infinities, fractions and values past
    ///   ``maximumAwaitMilliseconds``.
    public init?(command body: BSONDocument) throws(MongoError) {
        guard let name = body.first?.key, ["hello", "isMaster", "ismaster"].contains(name) else { return nil }
        let topology = body["topologyVersion"]
        let wait = body["maxAwaitTimeMS"]
        switch (topology, wait) {
        case (nil, nil):
            return nil
        case (.some, nil):
            throw MongoError(.location(31368), "A request with a 'topologyVersion' must include 'maxAwaitTimeMS'")
        case (nil, .some):
            throw MongoError(.location(31368), "A request with 'maxAwaitTimeMS' must include a 'topologyVersion'")
        case let (.some(topology), .some(wait)):
            topologyVersion = try Self.topologyVersion(topology, command: name)
            maxAwaitTimeMS = try Self.milliseconds(wait, command: name)
        }
    }

    /// The checks a hello makes against the server's topology before it answers.
    ///
    /// - Throws: `ShutdownInProgress` (91), carrying the new `topologyVersion`, once shutdown
    ///   began (mongod's quiesce mode); `Location31382` when the client's counter is ahead of
    ///   this process's.
    public static func check(_ body: BSONDocument, against topology: ServerTopology) throws(MongoError) {
        let awaitable = try AwaitableHello(command: body)
        let current = topology.version
        if topology.isQuiescing {
            throw MongoError(.shutdownInProgress, "The server is in quiesce mode and will shut down", details: [
                "topologyVersion": .document(current.document), "remainingQuiesceTimeMillis": .int64(0),
            ])
        }
        if let client = awaitable?.topologyVersion, client.processId == current.processId,
           client.counter > current.counter {
            throw MongoError(.location(31382), "Received a topology version with counter: \(client.counter) "
                + "which is greater than the server topology version counter: \(current.counter)")
        }
    }

    /// `topologyVersion: {processId: ObjectId, counter: long}` as the IDL parses it.
    private static func topologyVersion(_ value: BSONValue, command: String) throws(MongoError) -> TopologyVersion {
        guard case let .document(document) = value else {
            throw wrongType("\(command).topologyVersion", value, expected: "type 'object'")
        }
        guard let id = document["processId"] else {
            throw MongoError(.location(40414), "BSON field 'TopologyVersion.processId' is missing but a required field")
        }
        guard case let .objectId(processId) = id else {
            throw wrongType("TopologyVersion.processId", id, expected: "type 'objectId'")
        }
        guard let count = document["counter"] else {
            throw MongoError(.location(40414), "BSON field 'TopologyVersion.counter' is missing but a required field")
        }
        let counter: Int64
        switch count {
        case let .int64(number): counter = number
        case let .int32(number): counter = Int64(number)
        default: throw wrongType("TopologyVersion.counter", count, expected: "type 'long'")
        }
        guard counter >= 0 else {
            throw MongoError(.location(31372), "topologyVersion must have a non-negative counter")
        }
        return TopologyVersion(processId: processId, counter: counter)
    }

    /// `maxAwaitTimeMS` as a whole number of milliseconds in range: one checked conversion,
    /// never a trapping one, from any numeric type a client may send.
    private static func milliseconds(_ value: BSONValue, command: String) throws(MongoError) -> Int64 {
        let milliseconds: Int64?
        switch value {
        case let .int32(number): milliseconds = Int64(number)
        case let .int64(number): milliseconds = number
        case let .double(number): milliseconds = number.isFinite ? Int64(exactly: number) : nil
        case let .decimal128(number): milliseconds = number.int64Value
        default: throw wrongType("\(command).maxAwaitTimeMS", value, expected: "types '[long, int, decimal, double]'")
        }
        let negative: Bool = switch value {
        case let .double(number): number < 0
        case let .decimal128(number): number.isSignMinus && !number.isNaN && number.int64Value != 0
        default: (milliseconds ?? 0) < 0
        }
        if negative {
            throw MongoError(.location(51024),
                             "BSON field 'maxAwaitTimeMS' value must be >= 0, actual value '\(describe(value))'")
        }
        guard let milliseconds, milliseconds <= maximumAwaitMilliseconds else {
            throw MongoError(.badValue, "maxAwaitTimeMS must be a whole number of milliseconds in "
                + "[0, \(maximumAwaitMilliseconds)], not \(describe(value))")
        }
        return milliseconds
    }

    private static func wrongType(_ field: String, _ value: BSONValue, expected: String) -> MongoError {
        MongoError(.typeMismatch, "BSON field '\(field)' is the wrong type '\(value.type.alias)', expected \(expected)")
    }

    private static func describe(_ value: BSONValue) -> String {
        switch value {
        case let .int32(number): "\(number)"
        case let .int64(number): "\(number)"
        case let .double(number): "\(number)"
        default: value.extendedJSON()
        }
    }
}

extension MongoError.Code {
    /// 91: the server is shutting down (mongod's quiesce mode).
    static let shutdownInProgress = MongoError.Code(91, "ShutdownInProgress")
}
