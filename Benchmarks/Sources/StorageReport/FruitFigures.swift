// W4's fruit documents: average shape-encoded record size against average BSON size over
// 1,000,000 seeded documents, half {date, apples, oranges, bananas} and half with kiwis.
// Neither carries an `_id`, so both figures are the document body alone.
import BenchSupport
import ReportSupport
import BSON
import Documents

struct FruitFigures {
    let documentCount: Int
    let averageRecordBytes: Double
    let averageBSONBytes: Double
    let shapeCount: Int
    let seconds: Double

    static func measure(documentCount: Int = 1_000_000) throws -> FruitFigures {
        let clock = ContinuousClock()
        let started = clock.now
        var random = SeededGenerator(seed: 0x46_52_55_49_54)  // "FRUIT"
        let registry = ShapeRegistry()
        var encoder = RecordEncoder(registry: registry)
        // Dates over the year 2026, in milliseconds.
        let yearStart: Int64 = 1_767_225_600_000
        let yearMilliseconds: Int64 = 365 * 24 * 3_600_000
        var recordTotal = 0
        var bsonTotal = 0
        for index in 0..<documentCount {
            var document = BSONDocument()
            let date = yearStart + Int64.random(in: 0..<yearMilliseconds, using: &random)
            document.append("date", .datetime(BSONDateTime(millisecondsSinceEpoch: date)))
            document.append("apples", .int32(Int32.random(in: 0...100_000, using: &random)))
            document.append("oranges", .int32(Int32.random(in: 0...100_000, using: &random)))
            document.append("bananas", .int32(Int32.random(in: 0...100_000, using: &random)))
            if index % 2 == 1 {
                document.append("kiwis", .int32(Int32.random(in: 0...100_000, using: &random)))
            }
            recordTotal += try encoder.encode(document).bytes.count
            bsonTotal += try document.bsonBytes().count
        }
        return FruitFigures(
            documentCount: documentCount,
            averageRecordBytes: Double(recordTotal) / Double(documentCount),
            averageBSONBytes: Double(bsonTotal) / Double(documentCount),
            shapeCount: registry.idCount,
            seconds: started.duration(to: clock.now).seconds
        )
    }
}
