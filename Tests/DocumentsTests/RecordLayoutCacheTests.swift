// The scan path's per-reader lookups: ShapeIDMap's array and dictionary halves, and records
// read through a RecordLayoutCache answering exactly like records read without one, across
// shape ids on both sides of the array limit.

import BSON
import Testing
@testable import Documents

@Suite("Record layout cache")
struct RecordLayoutCacheTests {
    @Test func shapeIDMapKeepsSmallAndLargeIds() {
        var map = ShapeIDMap<String>()
        let small = ShapeID(7)
        let large = ShapeID(UInt32(ShapeIDMap<String>.denseLimit + 5))
        #expect(map[small] == nil && map[large] == nil)
        map[small] = "seven"
        map[large] = "large"
        #expect(map[small] == "seven")
        #expect(map[large] == "large")
        #expect(map[ShapeID(6)] == nil)
        #expect(map.sparseCount == 1)
        map.removeSparse()
        #expect(map[large] == nil)
        #expect(map[small] == "seven")
        map[small] = nil
        #expect(map[small] == nil)
    }

    @Test func recordsReadThroughTheCacheMatchRecordsReadWithout() throws {
        let registry = ShapeRegistry()
        var encoder = RecordEncoder(registry: registry)
        // Enough distinct shapes that the later ones have ids past the array limit.
        let shapeCount = ShapeIDMap<ShapeLayout>.denseLimit + 200
        var records: [[UInt8]] = []
        for index in 0..<shapeCount {
            let document: BSONDocument = ["_id": .int32(Int32(index)), "f\(index)": .string("v\(index)"), "n": .int64(Int64(index))]
            records.append(Array(try encoder.encode(document).bytes))
        }
        let decoder = RecordDecoder(registry: registry)
        var layouts = RecordLayoutCache()
        // Twice, so the second pass reads every layout from the cache.
        for _ in 0..<2 {
            for (index, bytes) in records.enumerated() {
                let cached = try decoder.record(bytes, layouts: &layouts)
                let plain = try decoder.record(bytes)
                #expect(cached.shapeID == plain.shapeID)
                #expect(cached.layout.fields == plain.layout.fields)
                #expect(cached.layout !== plain.layout)
                #expect(try cached.document() == plain.document())
                #expect(try cached.integer(slot: 2) == Int64(index))
            }
        }
        #expect(records.count == shapeCount)
    }
}
