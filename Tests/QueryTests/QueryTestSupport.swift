// Helpers for the Query tests: an engine in a fresh temporary directory and short ways to
// read explain output.

import BSON
import Documents
import TestSupport
@testable import Query

/// Runs `body` with a QueryEngine on a fresh store, removed afterwards.
func withEngine<Result>(_ body: (QueryEngine) throws -> Result) throws -> Result {
    try withTemporaryStorePath { path in
        try body(try QueryEngine(path: path))
    }
}

extension BSONDocument {
    /// The embedded document at a dotted path, if there is one.
    func document(atPath path: String) -> BSONDocument? {
        var current = self
        for component in path.split(separator: ".") {
            guard case let .document(next)? = current[String(component)] else { return nil }
            current = next
        }
        return current
    }

    /// The names of the stages from the root of an explain stage tree down.
    func stageNames() -> [String] {
        var names: [String] = []
        var stage: BSONDocument? = self
        while let current = stage {
            if case let .string(name)? = current["stage"] { names.append(name) }
            stage = current.document(atPath: "inputStage")
        }
        return names
    }
}

/// The `_id`s of `documents` as Int values (tests use integer ids).
func ids(_ documents: [BSONDocument]) -> [Int] {
    documents.compactMap { $0["_id"]?.int64Value.map(Int.init) }
}
