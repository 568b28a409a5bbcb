// TopTable: mongod's `top` figures — per collection, the time and count of every command
// that worked on it, split into read and write locks and by kind (queries, getmore,
// insert, update, remove, other commands). Fed once per finished command; a dropped
// collection's row goes with it, as in mongod.

import BSON
import Synchronization

/// Time (microseconds) and count of one kind of operation.
struct UsageCounter: Sendable {
    var micros: Int64 = 0
    var count: Int64 = 0

    mutating func add(_ micros: Int64) {
        self.micros &+= micros
        count &+= 1
    }

    var document: BSONDocument { ["time": .int64(micros), "count": .int64(count)] }
}

/// One collection's row.
struct NamespaceUsage: Sendable {
    var total = UsageCounter()
    var readLock = UsageCounter()
    var writeLock = UsageCounter()
    var queries = UsageCounter()
    var getmore = UsageCounter()
    var insert = UsageCounter()
    var update = UsageCounter()
    var remove = UsageCounter()
    var commands = UsageCounter()

    /// mongod's field order.
    var document: BSONDocument {
        ["total": .document(total.document), "readLock": .document(readLock.document),
         "writeLock": .document(writeLock.document), "queries": .document(queries.document),
         "getmore": .document(getmore.document), "insert": .document(insert.document),
         "update": .document(update.document), "remove": .document(remove.document),
         "commands": .document(commands.document)]
    }
}

/// Every collection's usage since start.
final class TopTable: Sendable {
    /// Commands counted, and whether each reads (else writes). Commands naming no collection
    /// are not counted, as in mongod.
    static let commands: [String: Bool] = [
        "find": true, "getMore": true, "aggregate": true, "count": true, "distinct": true, "listIndexes": true,
        "collStats": true, "validate": true, "dbHash": true,
        "insert": false, "update": false, "delete": false, "findAndModify": false, "findandmodify": false,
        "create": false, "drop": false, "createIndexes": false, "dropIndexes": false, "deleteIndexes": false,
        "collMod": false, "compact": false,
    ]

    private let rows = Mutex<[String: NamespaceUsage]>([:])

    /// Counts command `name` on `namespace` that took `duration`.
    func record(_ name: String, namespace: String, duration: Duration) {
        guard let reads = Self.commands[name] else { return }
        let (seconds, attoseconds) = duration.components
        let micros = seconds.multipliedReportingOverflow(by: 1_000_000).partialValue &+ attoseconds / 1_000_000_000_000
        rows.withLock { rows in
            if name == "drop" {
                rows[namespace] = nil
                return
            }
            var row = rows[namespace] ?? NamespaceUsage()
            row.total.add(micros)
            if reads { row.readLock.add(micros) } else { row.writeLock.add(micros) }
            switch name {
            case "find": row.queries.add(micros)
            case "getMore": row.getmore.add(micros)
            case "insert": row.insert.add(micros)
            case "update": row.update.add(micros)
            case "delete": row.remove.add(micros)
            default: row.commands.add(micros)
            }
            rows[namespace] = row
        }
    }

    /// Forgets the rows of `database` (dropDatabase).
    func dropDatabase(_ database: String) {
        rows.withLock { rows in rows = rows.filter { !$0.key.hasPrefix(database + ".") } }
    }

    /// `top`'s `totals`: every row by namespace, sorted, after mongod's note.
    var totals: BSONDocument {
        let rows = rows.withLock { $0 }
        var totals: BSONDocument = ["note": "all times in microseconds"]
        for (namespace, row) in rows.sorted(by: { $0.key < $1.key }) { totals.append(namespace, .document(row.document)) }
        return totals
    }
}
