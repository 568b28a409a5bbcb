// Fixtures shared by the test targets: fresh temporary directories removed afterwards and a
// small seeded random generator, so every property test is reproducible.

public import BenchSupport
public import BSON
import Documents
import Foundation

/// Runs `body` with the path of a directory that does not exist yet, inside a fresh
/// temporary directory that is removed afterwards.
public func withTemporaryStorePath<Result>(_ body: (String) throws -> Result) throws -> Result {
    let parent = FileManager.default.temporaryDirectory
        .appendingPathComponent("tessera-test-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: parent) }
    return try body(parent.appendingPathComponent("data").path)
}

/// The seeded generator the report programs use (SplitMix64), for reproducible property tests.
public typealias TestRandom = SeededGenerator

/// The MongoDB code `body` throws: nil when it returns, -1 for an error that is not a
/// `MongoError` (so a test expecting a code cannot pass on the wrong kind of failure).
public func mongoErrorCode(_ body: () throws -> Void) -> Int32? {
    do {
        try body()
        return nil
    } catch let error as MongoError {
        return error.code.rawValue
    } catch {
        return -1
    }
}

extension BSONDocument {
    /// The value at a dotted path (array elements by index), if there is one.
    public func value(at path: String) -> BSONValue? {
        var current: BSONValue = .document(self)
        for component in path.split(separator: ".") {
            switch current {
            case let .document(document):
                guard let next = document[String(component)] else { return nil }
                current = next
            case let .array(array):
                guard let index = Int(component), index < array.count else { return nil }
                current = array[index]
            default:
                return nil
            }
        }
        return current
    }
}
