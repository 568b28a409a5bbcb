// The parsed tree the planner reads: which FilterNode and PathPredicate cases a filter
// becomes (MongoDB's parse shapes: one path node per field, several operators as `.and`,
// sorted `$in` lists, `$ne`/`$nin`/`$exists: false` as their own cases).

import BSON
@testable import Query
import Testing

@Suite struct FilterTreeTests {
    private func tree(_ text: String) throws -> FilterNode {
        try Filter(doc(text)).root
    }

    @Test func emptyFilterIsConstantTrue() throws {
        guard case .constant(true) = try tree("{}") else {
            Issue.record("expected .constant(true)")
            return
        }
    }

    @Test func singleEqualityIsOnePathNode() throws {
        guard case .path(let path, .equal(let value)) = try tree(#"{"a.b": 5}"#) else {
            Issue.record("expected a path equality")
            return
        }
        #expect(path.components == ["a", "b"])
        #expect(value == .int32(5))
    }

    @Test func severalFieldsAreAnAnd() throws {
        guard case .and(let children) = try tree(#"{a: 1, b: {$gt: 2}}"#) else {
            Issue.record("expected .and")
            return
        }
        #expect(children.count == 2)
        guard case .path(_, .greaterThan(.int32(2))) = children[1] else {
            Issue.record("expected b > 2, got \(children[1])")
            return
        }
    }

    @Test func severalOperatorsOnOnePathAreAPredicateAnd() throws {
        guard case .path(let path, .and(let predicates)) = try tree(#"{a: {$gte: 1, $lt: 5}}"#) else {
            Issue.record("expected a path with .and")
            return
        }
        #expect(path.dotted == "a")
        guard predicates.count == 2, case .greaterThanOrEqual(.int32(1)) = predicates[0],
              case .lessThan(.int32(5)) = predicates[1] else {
            Issue.record("unexpected predicates \(predicates)")
            return
        }
    }

    @Test func inListsAreSortedAndDeduplicated() throws {
        guard case .path(_, .in(let values)) = try tree(#"{a: {$in: ["b", 3, 1, 1.0, null]}}"#) else {
            Issue.record("expected $in")
            return
        }
        #expect(values == [.null, .int32(1), .int32(3), .string("b")])
    }

    @Test func regexesInInAreKeptApart() throws {
        guard case .path(_, .inWithRegexes(let values, let regexes)) = try tree(#"{a: {$in: [/x/i, 2]}}"#) else {
            Issue.record("expected $in with regexes")
            return
        }
        #expect(values == [.int32(2)])
        #expect(regexes.map(\.pattern) == ["x"])
        #expect(regexes.map(\.options) == ["i"])
    }

    @Test func negationsHaveTheirOwnCases() throws {
        guard case .path(_, .notEqual(.int32(1))) = try tree(#"{a: {$ne: 1}}"#) else {
            Issue.record("expected $ne")
            return
        }
        guard case .path(_, .notIn(let values, _)) = try tree(#"{a: {$nin: [2, 1]}}"#) else {
            Issue.record("expected $nin")
            return
        }
        #expect(values == [.int32(1), .int32(2)])
        guard case .path(_, .exists(false)) = try tree(#"{a: {$exists: false}}"#) else {
            Issue.record("expected $exists: false")
            return
        }
        guard case .path(_, .not(.greaterThan(.int32(3)))) = try tree(#"{a: {$not: {$gt: 3}}}"#) else {
            Issue.record("expected $not")
            return
        }
    }

    @Test func logicalOperatorsAndExpr() throws {
        guard case .or(let children) = try tree(#"{$or: [{a: 1}, {b: 2}]}"#) else {
            Issue.record("expected $or")
            return
        }
        #expect(children.count == 2)
        guard case .nor = try tree(#"{$nor: [{a: 1}]}"#) else {
            Issue.record("expected $nor")
            return
        }
        guard case .expr(.operation(.gt, _)) = try tree(#"{$expr: {$gt: ["$a", 1]}}"#) else {
            Issue.record("expected $expr")
            return
        }
        guard case .constant(false) = try tree(#"{$alwaysFalse: 1}"#) else {
            Issue.record("expected .constant(false)")
            return
        }
    }

    @Test func elemMatchFormsAreDistinguished() throws {
        guard case .path(_, .elemMatchValue(let predicates)) = try tree(#"{a: {$elemMatch: {$gt: 1, $lt: 3}}}"#) else {
            Issue.record("expected the value form")
            return
        }
        #expect(predicates.count == 2)
        guard case .path(_, .elemMatchObject(.path(let inner, .equal(.int32(1))))) = try tree(#"{a: {$elemMatch: {b: 1}}}"#) else {
            Issue.record("expected the object form")
            return
        }
        #expect(inner.dotted == "b")
        guard case .path(_, .elemMatchObject(.or)) = try tree(#"{a: {$elemMatch: {$or: [{b: 1}]}}}"#) else {
            Issue.record("expected the object form for $or")
            return
        }
    }

    @Test func typesModSizeAndBits() throws {
        guard case .path(_, .type(let types)) = try tree(#"{a: {$type: ["number", "string"]}}"#) else {
            Issue.record("expected $type")
            return
        }
        #expect(types.allNumbers && types.types == [.string])
        guard case .path(_, .mod(divisor: 4, remainder: 1)) = try tree(#"{a: {$mod: [4.9, 1.1]}}"#) else {
            Issue.record("expected $mod [4, 1]")
            return
        }
        guard case .path(_, .size(3)) = try tree(#"{a: {$size: 3}}"#) else {
            Issue.record("expected $size")
            return
        }
        guard case .path(_, .bitsAnySet(let test)) = try tree(#"{a: {$bitsAnySet: [1, 70]}}"#) else {
            Issue.record("expected $bitsAnySet")
            return
        }
        #expect(test.positions == [1, 70])
        #expect(test.mask == UInt64(1) << 1 | UInt64(1) << 63)
    }

    @Test func numericComponentsKnowTheirArrayIndex() {
        let path = FieldPath(unvalidated: "a.0.10.01.-1.b")
        #expect(path.arrayIndexes == [nil, 0, 10, nil, nil, nil])
        #expect(FieldPath(unvalidated: "a..b").components == ["a", "", "b"])
    }
}
