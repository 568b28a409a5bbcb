// `<workload>@<N>`: a workload run with N connections whatever `--connections` says, so a
// one-connection ycsb-c can run beside the `ping` floor (`ycsb-c@1`, `ping@1`) in a run
// whose other workloads use four. It is the same workload under a name that says so.

public import BenchSupport

/// A workload pinned to a connection count.
public struct FixedConnectionsWorkload: Workload {
    /// The workload run.
    public let inner: any Workload
    /// Its connections.
    public let count: Int

    /// `inner` with `count` connections.
    public init(_ inner: any Workload, connections count: Int) {
        self.inner = inner
        self.count = count
    }

    /// `<inner>@<count>`.
    public var name: String { "\(inner.name)@\(count)" }
    /// The inner workload's.
    public var durability: Durability { inner.durability }
    /// The inner workload's.
    public var records: Int { inner.records }
    /// The inner workload's.
    public var operations: Int? { inner.operations }
    /// The inner workload's.
    public var operationNames: [String] { inner.operationNames }
    /// The inner workload's.
    public var documentsPerOperation: Int { inner.documentsPerOperation }
    /// `count`.
    public var connections: Int? { count }

    /// The inner workload's.
    public func prepare(_ session: BenchSession) throws(BenchError) { try inner.prepare(session) }
    /// The inner workload's.
    public func begin(_ session: BenchSession) throws(BenchError) { try inner.begin(session) }
    /// The inner workload's.
    public func perform(_ session: BenchSession, ticket: Int, random: inout SeededGenerator) throws(BenchError) -> Int {
        try inner.perform(session, ticket: ticket, random: &random)
    }
    /// The inner workload's.
    public func phase(of ticket: Int) -> Int? { inner.phase(of: ticket) }
    /// The inner workload's.
    public func end(_ session: BenchSession) throws(BenchError) { try inner.end(session) }

    /// Splits `ycsb-c@1` into `ycsb-c` and 1; a name without `@` has no count.
    static func parse(_ name: String) throws(BenchError) -> (base: String, connections: Int?) {
        guard let at = name.lastIndex(of: "@") else { return (name, nil) }
        guard let count = Int(name[name.index(after: at)...]), count > 0 else {
            throw BenchError("'\(name)': the connection count after @ must be a positive number")
        }
        return (String(name[..<at]), count)
    }
}
