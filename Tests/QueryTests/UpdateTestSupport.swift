// Helpers for the Update test suites: documents from Extended JSON, a fixed clock, and
// table rows for "this update on this document gives that document" and "... that error".

import BSON
import Documents
import Testing
@testable import Query

/// The instant `$currentDate` uses in these tests: 2023-11-14T22:13:20Z.
let updateTestNow = BSONDateTime(millisecondsSinceEpoch: 1_700_000_000_000)

/// A document from relaxed Extended JSON (`1` is an int32, `1.5` a double, `{"$numberLong": "1"}`
/// an int64).
func document(_ json: String) -> BSONDocument {
    do {
        return try BSONDocument(extendedJSON: json)
    } catch {
        Issue.record("bad test JSON \(json): \(error)")
        return BSONDocument()
    }
}

/// One "apply this update to this document" case.
struct UpdateCase: Sendable, CustomTestStringConvertible {
    var name: String
    var before: String
    var update: String
    var arrayFilters: [String] = []
    var positionalIndex: Int?
    /// The expected document; `nil` when the document must be unchanged (and `modified` false).
    var after: String?

    var testDescription: String { name }

    init(_ name: String, _ before: String, _ update: String, arrayFilters: [String] = [],
         positionalIndex: Int? = nil, after: String?) {
        self.name = name
        self.before = before
        self.update = update
        self.arrayFilters = arrayFilters
        self.positionalIndex = positionalIndex
        self.after = after
    }

    /// Applies the case and checks the document and `modified`.
    func check(sourceLocation: SourceLocation = #_sourceLocation) {
        let original = document(before)
        do {
            let parsed = try Update(document(update), arrayFilters: arrayFilters.map(document))
            let outcome = try parsed.apply(to: original, positionalIndex: positionalIndex, now: updateTestNow)
            if let after {
                let expected = document(after)
                #expect(outcome.document == expected,
                        "\(name): got \(outcome.document.extendedJSON(.canonical))", sourceLocation: sourceLocation)
                #expect(outcome.modified == (expected != original), "\(name): modified", sourceLocation: sourceLocation)
            } else {
                #expect(outcome.document == original, "\(name): changed to \(outcome.document.extendedJSON())",
                        sourceLocation: sourceLocation)
                #expect(!outcome.modified, "\(name): reported modified", sourceLocation: sourceLocation)
            }
        } catch {
            Issue.record("\(name): \(error)", sourceLocation: sourceLocation)
        }
    }
}

/// One "this update fails with this error" case; `before` is the document it is applied to
/// (parse errors never get that far).
struct UpdateErrorCase: Sendable, CustomTestStringConvertible {
    var name: String
    var before: String
    var update: String
    var arrayFilters: [String] = []
    var positionalIndex: Int?
    var code: Int32
    var codeName: String
    /// MongoDB's message, when known exactly.
    var message: String?

    var testDescription: String { name }

    init(_ name: String, _ before: String, _ update: String, arrayFilters: [String] = [],
         positionalIndex: Int? = nil, code: Int32, _ codeName: String, _ message: String?) {
        self.name = name
        self.before = before
        self.update = update
        self.arrayFilters = arrayFilters
        self.positionalIndex = positionalIndex
        self.code = code
        self.codeName = codeName
        self.message = message
    }

    func check(sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let parsed = try Update(document(update), arrayFilters: arrayFilters.map(document))
            let outcome = try parsed.apply(to: document(before), positionalIndex: positionalIndex, now: updateTestNow)
            Issue.record("\(name): expected \(codeName), got \(outcome.document.extendedJSON())",
                         sourceLocation: sourceLocation)
        } catch {
            expectError(error, code: code, codeName: codeName, message: message, name, sourceLocation)
        }
    }
}

/// Checks a caught error's code, code name and (when given) message.
func expectError(_ error: MongoError, code: Int32, codeName: String, message: String?, _ name: String,
                 _ sourceLocation: SourceLocation) {
    #expect(error.code.rawValue == code, "\(name): \(error)", sourceLocation: sourceLocation)
    #expect(error.code.name == codeName, "\(name): \(error)", sourceLocation: sourceLocation)
    if let message {
        #expect(error.message == message, "\(name)", sourceLocation: sourceLocation)
    }
}
