// The two kinds of connection a workload drives: a MongoDB-style command session (Tessera
// over TCP or embedded) and a SQL session (PostgreSQL). Each is used by one thread at a time.

public import BSON

/// One connection to the system under test, as the workload sees it.
public enum BenchSession {
    /// Tessera, over the wire or in-process: commands as BSON documents.
    case document(any DocumentSession)
    /// PostgreSQL: SQL text with positional parameters.
    case sql(any SQLSession)
}

/// A connection that runs MongoDB commands.
public protocol DocumentSession: AnyObject {
    /// Runs `body` against `database` and returns the reply. `documents`, when given, travels
    /// as OP_MSG's kind-1 sequence named `documents` (as drivers send inserts). Fails when
    /// the reply has `ok: 0` or write errors.
    func command(_ body: BSONDocument, database: String, documents: [BSONDocument]?) throws(BenchError) -> BSONDocument

    /// Sends `body` as an unacknowledged write (OP_MSG `moreToCome`; no reply is read).
    func send(_ body: BSONDocument, database: String, documents: [BSONDocument]?) throws(BenchError)

    /// Closes the connection.
    func close()
}

extension DocumentSession {
    /// Runs a command without a document sequence.
    public func command(_ body: BSONDocument, database: String) throws(BenchError) -> BSONDocument {
        try command(body, database: database, documents: nil)
    }
}

/// A parameter of a SQL statement.
public enum SQLValue: Sendable, Equatable {
    /// A `text` parameter (cast in the SQL where another type is meant, e.g. `$1::jsonb`).
    case text(String)
    /// An `int8` parameter.
    case int(Int64)
    /// A `float8` parameter.
    case double(Double)
    /// A `bool` parameter.
    case bool(Bool)
}

/// A connection that runs SQL.
public protocol SQLSession: AnyObject {
    /// Runs one statement and returns its rows, every column as text (statements cast
    /// their result columns to `text`, so a row costs what sending a document costs).
    @discardableResult
    func execute(_ sql: String, _ parameters: [SQLValue]) throws(BenchError) -> [[String?]]

    /// Closes the connection.
    func close()
}

extension SQLSession {
    /// Runs a statement without parameters.
    @discardableResult
    public func execute(_ sql: String) throws(BenchError) -> [[String?]] {
        try execute(sql, [])
    }
}

/// A system under test: makes connections and says where its process and data are.
public protocol BenchTarget: Sendable {
    /// `tcp`, `embedded` or `postgres`.
    var name: String { get }
    /// A new connection; called once per benchmark connection, on that connection's thread.
    func connect(index: Int) throws(BenchError) -> BenchSession
    /// The processes whose CPU time and memory count as the server's (the server's pid, or
    /// the postmaster with its backends); empty when unknown.
    func serverProcessIDs() -> [Int32]
    /// The directory whose size is reported as bytes on disk, if known.
    var dataDirectory: String? { get }
    /// Called once after the run; frees what the target holds.
    func shutdown()
}

/// The write durability a workload asks for, and its equivalent on each target.
public enum Durability: String, Sendable, Codable, CaseIterable {
    /// MongoDB `w: 0`: no acknowledgement. PostgreSQL `synchronous_commit = off` (the client
    /// still waits for PostgreSQL's reply: the protocol has no unacknowledged statements).
    case unacknowledged = "w0"
    /// MongoDB `w: 1`: applied and in the WAL, not fsynced. PostgreSQL `synchronous_commit = off`.
    case acknowledged = "w1"
    /// MongoDB `j: true`: the WAL is fsynced before the reply. PostgreSQL `synchronous_commit = on`.
    case journaled = "j"

    /// The `writeConcern` document for MongoDB commands.
    public var writeConcern: BSONDocument {
        switch self {
        case .unacknowledged: ["w": .int32(0)]
        case .acknowledged: ["w": .int32(1)]
        case .journaled: ["w": .int32(1), "j": true]
        }
    }

    /// PostgreSQL's `synchronous_commit` value with the same guarantee.
    public var synchronousCommit: String { self == .journaled ? "on" : "off" }
}
