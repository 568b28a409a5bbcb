// KeyEncoding's contract: unsigned byte order of keys is BSONValue.compare order, and values
// MongoDB considers equal share one key — checked on boundary numbers exhaustively and on
// seeded random values of every type.

import BSON
import Testing
@testable import Documents

struct KeyEncodingTests {
    @Test func equalNumbersOfDifferentTypesShareOneKey() throws {
        let one = KeyEncoding.key(for: .int32(1))
        #expect(KeyEncoding.key(for: .int64(1)) == one)
        #expect(KeyEncoding.key(for: .double(1.0)) == one)
        #expect(KeyEncoding.key(for: .decimal128(try #require(Decimal128("1.00")))) == one)
        #expect(KeyEncoding.key(for: .double(-0.0)) == KeyEncoding.key(for: .int32(0)))
        #expect(KeyEncoding.key(for: .decimal128(try #require(Decimal128("-0")))) == KeyEncoding.key(for: .int64(0)))
        #expect(KeyEncoding.key(for: .double(.nan)) == KeyEncoding.key(for: .decimal128(try #require(Decimal128("NaN")))))
        #expect(KeyEncoding.key(for: .double(0.5)) == KeyEncoding.key(for: .decimal128(try #require(Decimal128("0.50")))))
        #expect(KeyEncoding.key(for: .string("x")) == KeyEncoding.key(for: .symbol("x")))
    }

    @Test func boundaryNumbersSortByExactValue() throws {
        var values: [BSONValue] = RandomValues.interestingDoubles.map { .double($0) }
        values += RandomValues.interestingIntegers.map { .int64($0) }
        for text in RandomValues.interestingDecimals {
            values.append(.decimal128(try #require(Decimal128(text), "\(text)")))
        }
        for value in values.map({ $0 }) {
            if case let .double(x) = value, x.isFinite {
                values.append(.double(x.nextUp))
                values.append(.double(x.nextDown))
            }
        }
        try expectKeyOrderMatchesCompare(values)
    }

    @Test func randomValuesSortAsBSONCompare() throws {
        var random = KeyOrderRandom(seed: 0x7E55_E2A)
        let values = (0 ..< 1500).map { _ in RandomValues.value(&random) }
        try expectKeyOrderMatchesCompare(values)
    }

    @Test func randomNumbersSortAsBSONCompare() throws {
        var random = KeyOrderRandom(seed: 42)
        let values = (0 ..< 1500).map { _ in RandomValues.number(&random) }
        try expectKeyOrderMatchesCompare(values)
    }

    @Test func concatenatedKeysKeepTheOrderOfTheirFirstComponent() {
        // Self-delimiting: a key followed by anything still sorts by the key first.
        let shorter = KeyEncoding.key(for: .string("a")) + KeyEncoding.key(for: .maxKey)
        let longer = KeyEncoding.key(for: .string("a\u{0}")) + KeyEncoding.key(for: .minKey)
        #expect(compareKeys(shorter, longer) < 0)
        let negativeInfinity = KeyEncoding.key(for: .double(-.infinity)) + KeyEncoding.key(for: .maxKey)
        let aboveIt = KeyEncoding.key(for: .decimal128(Decimal128("-1E+400") ?? Decimal128(0 as Int64)))
            + KeyEncoding.key(for: .minKey)
        // -Infinity < -1E+400, even though -1E+400 is encoded as "just above -Infinity".
        #expect(compareKeys(negativeInfinity, aboveIt) < 0)
    }

    /// Checks every pair: the sign of the key comparison equals the sign of BSONValue.compare.
    private func expectKeyOrderMatchesCompare(_ values: [BSONValue]) throws {
        let keys = values.map { KeyEncoding.key(for: $0) }
        var failures = 0
        for i in values.indices {
            for j in values.indices where j > i {
                let expected = sign(BSONValue.compare(values[i], values[j]))
                let actual = compareKeys(keys[i], keys[j])
                if expected != actual {
                    failures += 1
                    if failures <= 10 {
                        Issue.record("\(values[i].extendedJSON()) vs \(values[j].extendedJSON()): compare \(expected), keys \(actual)")
                    }
                }
            }
        }
        #expect(failures == 0)
    }
}
