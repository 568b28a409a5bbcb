// Helpers for the aggregation tests: a collection filled with documents written as relaxed
// Extended JSON, and a pipeline written the same way.

import BSON
import Documents
@testable import Query

/// Runs `body` with collection `db.c` holding `documents` (and `db.<name>` for `others`).
func withAggregationCollection<Result>(
    _ documents: [String], others: [String: [String]] = [:], indexes: [BSONDocument] = [],
    _ body: (QueryCollection) throws -> Result
) throws -> Result {
    try withEngine { engine in
        let collection = try engine.collection("c", in: "db")
        for text in documents { try collection.collection.insert(doc(text)) }
        for (name, texts) in others {
            let other = try engine.collection(name, in: "db")
            for text in texts { try other.collection.insert(doc(text)) }
        }
        for key in indexes { try engine.store.createIndex(on: collection.namespace, key: key) }
        return try body(collection)
    }
}

/// A pipeline from `[{...}, {...}]` text.
func pipeline(_ text: String) -> [BSONDocument] {
    doc("{p: \(text)}")["p"]?.arrayValue?.compactMap(\.documentValue) ?? []
}

/// Documents from `[{...}, {...}]` text.
func documents(_ text: String) -> [BSONDocument] {
    pipeline(text)
}
