// S2 cell-id math and 2dsphere key generation: leaf cells contain their point, parents and
// ranges nest, coverings contain the region's points and exclude far ones, polygons with holes
// and across the antimeridian, and 2dsphere keys (leaf cell of a point, covering of a polygon,
// compound keys crossed with ordinary ones, 16755 for invalid GeoJSON); 2d geohash keys, box
// coverings and MongoDB's 2d key errors.

import BSON
import Testing
@testable import Documents

struct GeoCellTests {
    /// Seeded points spread over the sphere (no two tests share state).
    private func points(_ count: Int, seed: UInt64) -> [GeoPoint] {
        var state = seed
        func next() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(UInt64(1) << 53)
        }
        return (0..<count).map { _ in GeoPoint(lng: next() * 360 - 180, lat: next() * 180 - 90) }
    }

    @Test func leafCellsNestInTheirAncestors() {
        for point in points(200, seed: 7) {
            let leaf = S2CellID(point)
            #expect(leaf.level == 30)
            #expect(leaf.center.angle(to: point) < 1e-8)
            for level in [0, 2, 16, 29] {
                let parent = leaf.parent(level)
                #expect(parent.level == level)
                #expect(parent == S2CellID(point, level: level))
                #expect(parent.rangeMin <= leaf.raw && leaf.raw <= parent.rangeMax)
            }
            // A cell never spans the sign change of its signed index key.
            let face = leaf.parent(0)
            #expect(S2CellID(raw: face.rangeMin).indexKey <= S2CellID(raw: face.rangeMax).indexKey)
        }
    }

    @Test func capCoveringsHoldEveryPointInsideTheCap() {
        let center = GeoPoint(lng: 2.35, lat: 48.85)
        let radius = 20_000 / earthRadiusMeters
        let cells = S2Region.cap(center: center, radians: radius).covering(minLevel: 2, maxLevel: 30, maxCells: 20)
        #expect(!cells.isEmpty && cells.count <= 40)
        func covered(_ point: GeoPoint) -> Bool {
            let leaf = S2CellID(point).raw
            return cells.contains { $0.rangeMin <= leaf && leaf <= $0.rangeMax }
        }
        var inside = 0
        for offset in points(2000, seed: 11) {
            let point = GeoPoint(lng: center.lng + offset.lng / 500, lat: center.lat + offset.lat / 500)
            if point.angle(to: center) <= radius {
                inside += 1
                #expect(covered(point))
            }
        }
        #expect(inside > 100)
        #expect(!covered(GeoPoint(lng: -70, lat: -30)))
    }

    @Test func polygonsWithHolesAndAcrossTheAntimeridian() throws {
        let shell = [GeoPoint(lng: 0, lat: 0), GeoPoint(lng: 10, lat: 0), GeoPoint(lng: 10, lat: 10), GeoPoint(lng: 0, lat: 10)]
        let hole = [GeoPoint(lng: 4, lat: 4), GeoPoint(lng: 6, lat: 4), GeoPoint(lng: 6, lat: 6), GeoPoint(lng: 4, lat: 6)]
        let holed = try S2Region.polygon([shell, hole]).get()
        #expect(holed.contains(.point(GeoPoint(lng: 2, lat: 2))))
        #expect(!holed.contains(.point(GeoPoint(lng: 5, lat: 5))))
        #expect(!holed.contains(.point(GeoPoint(lng: 11, lat: 5))))
        #expect(holed.distance(to: GeoPoint(lng: 5, lat: 5)) > 0)
        let across = try S2Region.polygon([[GeoPoint(lng: 170, lat: -10), GeoPoint(lng: -170, lat: -10),
                                            GeoPoint(lng: -170, lat: 10), GeoPoint(lng: 170, lat: 10)]]).get()
        #expect(across.contains(.point(GeoPoint(lng: 179.5, lat: 0))))
        #expect(across.contains(.point(GeoPoint(lng: -175, lat: 5))))
        #expect(!across.contains(.point(GeoPoint(lng: 0, lat: 0))))
        let leaf = S2CellID(GeoPoint(lng: -179.9, lat: 1)).raw
        let cells = across.covering(minLevel: 2, maxLevel: 16, maxCells: 20)
        #expect(cells.contains { $0.rangeMin <= leaf && leaf <= $0.rangeMax })
        if case .success = S2Region.polygon([shell, [GeoPoint(lng: 20, lat: 20), GeoPoint(lng: 21, lat: 20), GeoPoint(lng: 21, lat: 21)]]) {
            Issue.record("a hole outside its shell was accepted")
        }
    }

    private func keys(_ pattern: BSONDocument, _ document: BSONDocument) throws -> IndexKeyGenerator.Keys {
        try IndexKeyGenerator(fields: IndexKeyPattern.fields(of: pattern), isSparse: false).keys(for: document)
    }

    @Test func twoDSphereKeys() throws {
        let point = GeoPoint(lng: -73.97, lat: 40.77)
        let leaf = BSONValue.int64(S2CellID(point).indexKey)
        let geoJSON: BSONDocument = ["loc": ["type": "Point", "coordinates": [-73.97, 40.77]]]
        #expect(try keys(["loc": "2dsphere"], geoJSON).keys.map(\.values) == [[leaf]])
        #expect(try keys(["loc": "2dsphere"], ["loc": [-73.97, 40.77]]).keys.map(\.values) == [[leaf]])
        #expect(try keys(["loc": "2dsphere"], ["other": 1]).keys.isEmpty)
        let compound = try keys(["loc": "2dsphere", "club": 1, "date": 1], geoJSON.merging(["club": ["a", "b"], "date": 3]))
        #expect(compound.keys.map(\.values) == [[leaf, "a", 3], [leaf, "b", 3]])
        #expect(compound.multikeyFields == [1])
        let polygon: BSONDocument = ["loc": ["type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]]]
        let polygonKeys = try keys(["loc": "2dsphere"], polygon)
        #expect(polygonKeys.keys.count > 1)
        #expect(polygonKeys.keys.allSatisfy { key in
            guard case let .int64(raw) = key.values[0] else { return false }
            let level = S2CellID(raw: UInt64(bitPattern: raw)).level
            return level >= GeoIndexRules.coarsestLevel && level <= GeoIndexRules.finestLevel
        })
        for bad: BSONValue in [["type": "Point", "coordinates": [200, 0]], "here",
                               ["type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]]] {
            expectMongoError(MongoError.Code(16755, "Location16755")) { _ = try keys(["loc": "2dsphere"], ["loc": bad]) }
        }
    }
}

struct TwoDGridTests {
    private let grid = TwoDParameters.standard

    @Test func keysOrderAlongTheGridAndDecodeToTheirCell() {
        var state: UInt64 = 17
        for _ in 0..<300 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let x = Double(state >> 11) / Double(UInt64(1) << 53) * 360 - 180
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let y = Double(state >> 11) / Double(UInt64(1) << 53) * 360 - 180
            let (corner, side) = grid.cell(ofKey: grid.key(of: GeoPoint(lng: x, lat: y)))
            #expect(side == 360 / Double(1 << 26))
            #expect(corner.lng <= x && x < corner.lng + side * 1.0001)
            #expect(corner.lat <= y && y < corner.lat + side * 1.0001)
        }
        // West half before east half: x holds the top bit, and signed keys keep that order.
        #expect(grid.key(of: GeoPoint(lng: -1, lat: 50)) < grid.key(of: GeoPoint(lng: 1, lat: -50)))
    }

    @Test func boxCoveringsHoldEveryPointOfTheBoxAndFewOthers() {
        let ranges = grid.covering(minX: 2.0, minY: 48.6, maxX: 2.6, maxY: 49.0, maxCells: 64)
        #expect(!ranges.isEmpty && ranges.count <= 64 * 4)
        func covered(_ x: Double, _ y: Double) -> Bool {
            let key = grid.key(of: GeoPoint(lng: x, lat: y))
            return ranges.contains { $0.0 <= key && key <= $0.1 }
        }
        for step in 0...20 {
            let t = Double(step) / 20
            #expect(covered(2.0 + 0.6 * t, 48.6))
            #expect(covered(2.6, 48.6 + 0.4 * t))
            #expect(covered(2.0 + 0.6 * t, 48.8 + 0.2 * t))
        }
        #expect(!covered(10, 48.8))
        #expect(!covered(2.3, 40))
    }

    @Test func twoDKeysAndMongoDBsErrors() throws {
        let fields = TwoDIndexRules.withParameters(IndexKeyPattern.fields(of: ["loc": "2d", "club": 1]),
                                                   options: ["bits": 20, "min": -500, "max": 500])
        let generator = IndexKeyGenerator(fields: fields, isSparse: false)
        let coarse = TwoDParameters(options: ["bits": 20, "min": -500, "max": 500])
        #expect(coarse.bits == 20 && coarse.max == 500)
        let keys = try generator.keys(for: ["loc": [[1, 2], ["x": 300, "y": -400]], "club": "a"])
        #expect(keys.keys.map(\.values) == [[.int64(coarse.key(of: GeoPoint(lng: 1, lat: 2))), "a"],
                                            [.int64(coarse.key(of: GeoPoint(lng: 300, lat: -400))), "a"]])
        #expect(try generator.keys(for: ["club": "a"]).keys.isEmpty)
        for (bad, code): (BSONValue, Int32) in [([] as BSONValue, 13067), ([1] as BSONValue, 13068), (["a", 1], 13026),
                                                ("here", 13026), ([501, 0], 13027)] {
            expectMongoError(MongoError.Code(code, "Location\(code)")) { _ = try generator.keys(for: ["loc": bad]) }
        }
        expectMongoError(MongoError.Code(16801, "Location16801")) { _ = try IndexKeyPattern.validate(["a": 1, "loc": "2d"]) }
        expectMongoError(.invalidOptions) {
            _ = try IndexSpecValidation.validate(key: ["loc": "2d"], name: nil, options: ["bits": 40])
        }
        expectMongoError(.invalidOptions) {
            _ = try IndexSpecValidation.validate(key: ["loc": "2d"], name: nil, options: ["min": 5, "max": 5])
        }
    }
}

private extension BSONDocument {
    func merging(_ other: BSONDocument) -> BSONDocument {
        var result = self
        for element in other { result[element.key] = element.value }
        return result
    }
}
