// BenchError: why a benchmark could not run (a refused connection, a command that failed, a
// reply that says the workload is wrong). Carries the server's message or the errno text.

/// A failure that stops a benchmark run.
public struct BenchError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, for the user.
    public let description: String

    /// An error with its message.
    public init(_ description: String) {
        self.description = description
    }
}
