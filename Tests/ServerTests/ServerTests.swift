// Placeholder suite until the codec tests land.
import Testing
import Commands

@Suite struct ServerPlaceholderTests {
    @Test func metricsStartAtZero() { #expect(ServerMetrics().snapshot.totalConnections == 0) }
}
