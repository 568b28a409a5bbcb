// The process-wide spill allowance: a spill file takes a slot while open and reserves its
// bytes as it writes; past either limit it fails with OutOfDiskSpace (14031), and a file that
// goes away gives both back.

import BSON
import Foundation
@testable import Query
import Testing

@Suite struct SpillBudgetTests {
    static func withDirectory<Result>(_ body: (String) throws -> Result) throws -> Result {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("spill-budget-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        return try body(directory)
    }

    @Test func bytesPastTheAllowanceFailWith14031AndComeBack() throws {
        try Self.withDirectory { directory in
            let budget = SpillBudget()
            budget.configure(maximumBytes: 700, maximumFiles: 4)  // two 315-byte documents fit, a third does not
            let document: BSONDocument = ["pad": .string(String(repeating: "x", count: 300))]
            var file: SpillFile? = try SpillFile(dataDirectory: directory, budget: budget)
            try file?.append(document)
            try file?.append(document)
            let error = #expect(throws: MongoError.self) { try file?.append(document) }
            #expect(error?.code == .outOfDiskSpace)
            #expect(budget.usage.files == 1)
            #expect(budget.usage.bytes == file?.size)
            file = nil
            #expect(budget.usage.files == 0 && budget.usage.bytes == 0)
            let again = try SpillFile(dataDirectory: directory, budget: budget)
            try again.append(document)
        }
    }

    @Test func filesPastTheAllowanceFailWith14031() throws {
        try Self.withDirectory { directory in
            let budget = SpillBudget()
            budget.configure(maximumBytes: 1 << 20, maximumFiles: 2)
            let first = try SpillFile(dataDirectory: directory, budget: budget)
            var second: SpillFile? = try SpillFile(dataDirectory: directory, budget: budget)
            let error = #expect(throws: MongoError.self) { try SpillFile(dataDirectory: directory, budget: budget) }
            #expect(error?.code == .outOfDiskSpace)
            second = nil
            _ = try SpillFile(dataDirectory: directory, budget: budget)
            #expect(second == nil && first.count == 0)
            // The refused file left nothing on disk: only `first` is in the spill directory.
            let left = try FileManager.default.contentsOfDirectory(atPath: directory + "/" + SpillFile.directoryName)
            #expect(left.count == 1)
        }
    }
}
