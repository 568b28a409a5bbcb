// Test support for the filter tables: a shell-like notation for documents (JSON with bare
// keys, Extended JSON for typed values), the table types, and the runner that checks each
// case's matching ids (and positional index) against a table's documents.

import BSON
import Documents
@testable import Query
import Testing

/// Parses the notation the tables use: JSON whose keys may be bare (`{a: 1, "a.b": {$gt: 2}}`),
/// with Extended JSON for typed values (`{$numberLong: "5"}`, `{$numberDecimal: "1.5"}`).
func doc(_ text: String) -> BSONDocument {
    do {
        return try BSONDocument(extendedJSON: strictJSON(text))
    } catch {
        Issue.record("bad test document \(text): \(error)")
        return BSONDocument()
    }
}

/// Quotes bare keys: a run of key characters outside strings followed by `:`.
func strictJSON(_ text: String) -> String {
    let scalars = Array(text.unicodeScalars)
    var output = String.UnicodeScalarView()
    var index = 0
    var inString = false
    func isKeyScalar(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "_$.-+".unicodeScalars.contains(scalar)
    }
    while index < scalars.count {
        let scalar = scalars[index]
        if inString {
            output.append(scalar)
            if scalar == "\\", index + 1 < scalars.count {
                output.append(scalars[index + 1])
                index += 2
                continue
            }
            if scalar == "\"" { inString = false }
            index += 1
            continue
        }
        if scalar == "\"" {
            inString = true
            output.append(scalar)
            index += 1
            continue
        }
        if scalar == "/" {
            // A regex literal /pattern/flags becomes Extended JSON.
            var end = index + 1
            var pattern = ""
            while end < scalars.count, scalars[end] != "/" {
                if scalars[end] == "\\", end + 1 < scalars.count {
                    pattern += "\\\\"
                    if scalars[end + 1] == "/" { pattern += "/" } else { pattern.unicodeScalars.append(scalars[end + 1]) }
                    end += 2
                    continue
                }
                if scalars[end] == "\"" { pattern += "\\\"" } else { pattern.unicodeScalars.append(scalars[end]) }
                end += 1
            }
            end += 1
            var options = ""
            while end < scalars.count, scalars[end].properties.isLowercase {
                options.unicodeScalars.append(scalars[end])
                end += 1
            }
            output.append(contentsOf: "{\"$regularExpression\": {\"pattern\": \"\(pattern)\", \"options\": \"\(options)\"}}".unicodeScalars)
            index = end
            continue
        }
        if isKeyScalar(scalar) {
            var end = index
            while end < scalars.count, isKeyScalar(scalars[end]) { end += 1 }
            var look = end
            while look < scalars.count, scalars[look] == " " { look += 1 }
            let token = scalars[index..<end]
            if look < scalars.count, scalars[look] == ":" {
                output.append("\"")
                output.append(contentsOf: token)
                output.append("\"")
            } else {
                output.append(contentsOf: token)
            }
            index = end
            continue
        }
        output.append(scalar)
        index += 1
    }
    return String(output)
}

/// One filter and what MongoDB returns for it.
struct FilterCase: Sendable {
    /// The filter, in the tables' notation (or built directly).
    let filter: BSONDocument
    /// The filter as written, for failure messages.
    let text: String
    /// The `_id`s of the matching documents, in table order.
    let ids: [Int]
    /// Expected positional index per matching id, when the case checks them.
    let positions: [Int: Int?]?

    init(_ text: String, _ ids: [Int], positions: [Int: Int?]? = nil) {
        self.filter = doc(text)
        self.text = text
        self.ids = ids
        self.positions = positions
    }

    init(built filter: BSONDocument, _ text: String, _ ids: [Int]) {
        self.filter = filter
        self.text = text
        self.ids = ids
        self.positions = nil
    }
}

/// Documents and the cases run against them.
struct FilterTable: Sendable, CustomTestStringConvertible {
    let name: String
    let documents: [BSONDocument]
    let cases: [FilterCase]

    init(_ name: String, documents: [String], cases: [FilterCase]) {
        self.name = name
        self.documents = documents.map(doc)
        self.cases = cases
    }

    var testDescription: String { name }

    /// Runs every case, recording an issue for each mismatch; returns how many passed.
    @discardableResult
    func run() -> Int {
        var passed = 0
        for testCase in cases {
            let filter: Filter
            do {
                filter = try Filter(testCase.filter)
            } catch {
                Issue.record("\(name): \(testCase.text) failed to parse: \(error)")
                continue
            }
            var ids: [Int] = []
            var positions: [Int: Int?] = [:]
            for document in documents {
                guard let match = filter.match(document) else { continue }
                guard case .int32(let id)? = document["_id"] else {
                    Issue.record("\(name): document without an int _id")
                    continue
                }
                ids.append(Int(id))
                positions[Int(id)] = match.positionalIndex
            }
            var ok = ids == testCase.ids
            #expect(ids == testCase.ids, "\(name): \(testCase.text)")
            if let expected = testCase.positions {
                for (id, position) in expected {
                    let actual = positions[id] ?? nil
                    #expect(actual == position, "\(name): \(testCase.text) positional index of _id \(id)")
                    if actual != position { ok = false }
                }
            }
            if ok { passed += 1 }
        }
        return passed
    }
}

/// Parses `text` and returns the error, or records an issue when it parses.
func filterError(_ filter: BSONDocument) -> MongoError? {
    do {
        _ = try Filter(filter)
        return nil
    } catch {
        return error
    }
}
