// `connect`: connection setup as a driver's pool pays it — each operation opens a new
// connection to the target (TCP, the TLS handshake when the target uses TLS, hello and the
// SCRAM or X.509 login when it has credentials) and closes it; operations/s is connections/s.

public import BenchSupport

/// Opens and closes connections.
public struct ConnectWorkload: DatasetFreeWorkload {
    /// The name `--workload` takes.
    public static let workloadName = "connect"
    /// `connect`.
    public var name: String { Self.workloadName }
    /// One kind: a connection set up and closed.
    public let operationNames = ["connect"]
    /// The target whose connections are opened (nil only in the workload catalog's placeholder).
    let target: (any BenchTarget)?

    /// The workload against `target`.
    public init(target: (any BenchTarget)?) {
        self.target = target
    }

    /// Opens a connection (set up completely before it returns) and closes it.
    public func perform(_ session: BenchSession, ticket: Int, random: inout SeededGenerator) throws(BenchError) -> Int {
        guard let target else { throw BenchError("the connect workload needs a target") }
        let connection = try target.connect(index: ticket)
        connection.close()
        return 0
    }
}
