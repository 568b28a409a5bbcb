// Placeholder suite until the codec tests land.
import Testing
import Commands

@Suite struct CommandContractTests {
    @Test func metricsStartAtZero() { #expect(ServerMetrics().snapshot.totalConnections == 0) }
}
