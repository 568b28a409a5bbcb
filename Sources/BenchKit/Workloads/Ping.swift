// `ping`: the floor of any request over the target's transport — each operation is one
// round trip that does no storage work. Tessera: an OP_MSG `{ping: 1}` on `admin`;
// PostgreSQL: `SELECT 1` (the smallest statement that travels the extended protocol the
// other workloads use). Other workloads' one-connection rates are read as a share of it.

public import BenchSupport

/// Round trips that do nothing.
public struct PingWorkload: DatasetFreeWorkload {
    /// The name `--workload` takes.
    public static let workloadName = "ping"
    /// `ping`.
    public var name: String { Self.workloadName }
    /// One kind: a round trip.
    public let operationNames = ["ping"]
    /// No documents move.
    public var documentsPerOperation: Int { 0 }

    /// The workload.
    public init() {}

    /// One round trip.
    public func perform(_ session: BenchSession, ticket: Int, random: inout SeededGenerator) throws(BenchError) -> Int {
        switch session {
        case let .document(db):
            _ = try db.command(["ping": 1], database: "admin")
        case let .sql(sql):
            try sql.execute("SELECT 1")
        }
        return 0
    }
}
