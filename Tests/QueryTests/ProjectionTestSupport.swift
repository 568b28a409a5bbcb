// Helpers for the projection and sort tests: documents from relaxed Extended JSON, and a
// probe telling whether the real Filter (branch wip-filter) has replaced the stub.

import BSON
import Testing
import Documents
import Query

/// A document from relaxed Extended JSON (`1` is an int32, `1.5` a double).
func ejsonDocument(_ text: String) -> BSONDocument {
    do {
        return try BSONDocument(extendedJSON: text)
    } catch {
        fatalError("bad test JSON \(text): \(error)")
    }
}

/// Whether `Filter` matches documents for real (the stub only matches with an empty filter).
enum FilterProbe {
    static let isImplemented: Bool = {
        guard let filter = try? Filter(["a": 1]) else { return false }
        return filter.matches(["a": 1]) && !filter.matches(["a": 2])
    }()
}

/// A projection case: specification, input document, expected output.
struct ProjectionCase: CustomTestStringConvertible, Sendable {
    let name: String
    let projection: String
    let document: String
    let expected: String
    var positionalIndex: Int? = nil

    var testDescription: String { name }
}
