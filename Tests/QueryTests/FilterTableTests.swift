// Runs the filter case tables: one test per table, and one that runs them all and prints
// the `filter-cases: N passed` line the issue's logs look for.

import BSON
@testable import Query
import Testing

@Suite struct FilterTableTests {
    @Test(arguments: FilterTables.allTables)
    func tableMatchesMongoDBSemantics(_ table: FilterTable) {
        table.run()
    }

    @Test func everyTableCasePasses() {
        var total = 0
        var passed = 0
        for table in FilterTables.allTables {
            total += table.cases.count
            passed += table.run()
        }
        print("filter-cases: \(passed) passed")
        #expect(passed == total)
        #expect(total >= 300)
    }

    @Test func notationQuotesBareKeysAndRegexLiterals() {
        #expect(strictJSON(#"{a: 1, "a.b": {$gt: 2}}"#) == #"{"a": 1, "a.b": {"$gt": 2}}"#)
        #expect(strictJSON(#"{a: /x\.y/i}"#) == #"{"a": {"$regularExpression": {"pattern": "x\\.y", "options": "i"}}}"#)
        #expect(doc(#"{a: -1.5, b: "c: d"}"#) == ["a": -1.5, "b": "c: d"])
    }
}
