// Smoke test that the Query test target builds and links against the layer.

import Testing
@testable import Query

@Suite struct QueryLayerTests {
    @Test func layerLinks() {
        #expect(Bool(true))
    }
}
