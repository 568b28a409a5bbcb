// Placeholder suite until the codec tests land.
import Testing
@testable import Wire

@Suite struct WireLimitsTests {
    @Test func messageLimitIsMongoDBs() { #expect(maximumMessageSize == 48_000_000) }
}
