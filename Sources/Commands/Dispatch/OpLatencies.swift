// OpLatencies: serverStatus's `opLatencies` — total microseconds and operation counts of
// reads (find, getMore, aggregate, count, distinct), writes (insert, update, delete,
// bulkWrite, findAndModify) and other commands, as mongod keeps them. Atomics, so the
// command path pays two relaxed adds.

import BSON
import Synchronization

/// Latency totals by MongoDB's three opLatencies classes.
final class OpLatencies: Sendable {
    /// The class a command counts under.
    enum Kind: Int, CaseIterable {
        case reads, writes, commands
    }

    /// One class's totals.
    private final class Tally: Sendable {
        let micros = Atomic<Int64>(0)
        let operations = Atomic<Int64>(0)
    }

    private let tallies = Kind.allCases.map { _ in Tally() }

    /// Commands counted as reads besides find and getMore (mongod's read commands).
    static let readCommands: Set<String> = ["aggregate", "count", "distinct"]
    /// Commands counted as writes besides those counted per statement.
    static let writeCommands: Set<String> = ["findAndModify", "findandmodify"]

    /// The class of a command named `name` whose handler counts as `counter`.
    static func kind(_ name: String, counter: OpCounterKind) -> Kind {
        switch counter {
        case .query, .getmore: return .reads
        case .perStatement: return .writes
        case .command:
            if readCommands.contains(name) { return .reads }
            return writeCommands.contains(name) ? .writes : .commands
        }
    }

    /// Adds one operation of `kind` that took `duration`.
    func record(_ kind: Kind, duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let microseconds = seconds.multipliedReportingOverflow(by: 1_000_000).partialValue
            &+ attoseconds / 1_000_000_000_000
        tallies[kind.rawValue].micros.add(microseconds, ordering: .relaxed)
        tallies[kind.rawValue].operations.add(1, ordering: .relaxed)
    }

    /// `{reads: {latency, ops}, writes: {...}, commands: {...}}`, latency in microseconds.
    var document: BSONDocument {
        var document = BSONDocument()
        for kind in Kind.allCases {
            document.append(String(describing: kind), .document([
                "latency": .int64(tallies[kind.rawValue].micros.load(ordering: .relaxed)),
                "ops": .int64(tallies[kind.rawValue].operations.load(ordering: .relaxed)),
            ]))
        }
        return document
    }
}
