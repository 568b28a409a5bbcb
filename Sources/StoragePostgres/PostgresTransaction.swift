// PostgresTransaction: applies a list of writes as one SQL transaction on one connection —
// statements pipelined (sent without waiting, checked before COMMIT), runs of puts and of
// deletes folded into one statement each, merge operands folded by read-modify-write
// (`SELECT ... FOR UPDATE`, the operator, an upsert) — and runs it again on serialization
// failures (SQLSTATE 40001/40P01) up to a bound.
#if canImport(Glibc)
internal import Glibc
#else
internal import Darwin
#endif
internal import NIOCore
internal import PostgresNIO
internal import Storage

/// One write with its key space resolved to an id (and merge operator).
enum ResolvedWrite {
    case put(space: Int64, key: [UInt8], value: [UInt8])
    case delete(space: Int64, key: [UInt8])
    case deleteRange(space: Int64, start: [UInt8], end: [UInt8])
    case merge(space: Int64, key: [UInt8], operand: [UInt8], mergeOperator: any MergeOperator)
}

struct PostgresTransaction {
    let writes: [ResolvedWrite]
    /// Attempts before a serialization failure is reported (as `.tryAgain`).
    static let maximumAttempts = 8

    /// Runs the writes in one transaction on `link`, retrying it whole on serialization failures.
    func apply(on link: PostgresLink) throws(StorageError) {
        try Self.runWithRetry(on: link) { () throws(StorageError) in try applyOnce(on: link) }
    }

    /// Runs `body` (one whole transaction, or one autocommitted statement) again while it fails
    /// with a serialization failure, up to `maximumAttempts`; `onFailure` runs after each
    /// failure (to roll back).
    static func runWithRetry(
        on link: PostgresLink, _ body: () throws(StorageError) -> Void, onFailure: () -> Void = {}
    ) throws(StorageError) {
        var attempt = 1
        while true {
            do throws(StorageError) {
                try body()
                return
            } catch {
                onFailure()
                guard PostgresFailure.isRetryable(error), attempt < maximumAttempts else { throw error }
                // A short, growing, jittered pause so conflicting writers stop colliding in step.
                usleep(UInt32.random(in: 0 ... UInt32(500 * attempt)))
                attempt += 1
            }
        }
    }

    private func applyOnce(on link: PostgresLink) throws(StorageError) {
        let hasMerges = writes.contains { if case .merge = $0 { true } else { false } }
        // Blind writes need no snapshot; read-modify-write (merges) needs REPEATABLE READ so a
        // concurrent change to a folded key fails the transaction instead of being lost.
        var pending = [link.send(PostgresStatement(hasMerges ? PostgresSQL.beginRepeatable : PostgresSQL.begin))]
        do throws(StorageError) {
            var index = 0
            while index < writes.count {
                switch writes[index] {
                case .put:
                    let run = writes[index...].prefix { if case .put = $0 { true } else { false } }
                    pending.append(link.send(Self.puts(run)))
                    index += run.count
                case .delete:
                    let run = writes[index...].prefix { if case .delete = $0 { true } else { false } }
                    pending.append(link.send(Self.deletes(run)))
                    index += run.count
                case let .deleteRange(space, start, end):
                    pending.append(link.send(PostgresStatement.make(PostgresSQL.deleteRange) {
                        $0.bind(space); $0.bind(start); $0.bind(end)
                    }))
                    index += 1
                case let .merge(space, key, _, mergeOperator):
                    // Every consecutive operand for the same key, folded at once.
                    let run = writes[index...].prefix {
                        if case let .merge(otherSpace, otherKey, _, _) = $0 { otherSpace == space && otherKey == key } else { false }
                    }
                    let operands = run.compactMap { if case let .merge(_, _, operand, _) = $0 { operand } else { nil } }
                    let waiting = pending
                    pending = []
                    try link.awaitAll(waiting, .merge)
                    let rows = try link.run(PostgresStatement.make(PostgresSQL.getForUpdate) { $0.bind(space); $0.bind(key) }, .merge)
                    let folded = try Self.fold(key: key, existing: rows.first?.bytes(at: 0), operands: operands,
                                               with: mergeOperator, location: link.location)
                    pending.append(link.send(PostgresStatement.make(PostgresSQL.put) {
                        $0.bind(space); $0.bind(key); $0.bind(folded)
                    }))
                    index += run.count
                }
            }
            try link.awaitAll(pending, .write)
        } catch {
            _ = try? link.run(PostgresStatement(PostgresSQL.rollback), .write)
            throw error
        }
        try link.run(PostgresStatement(PostgresSQL.commit), .write)
    }

    /// One statement for a run of puts; the last put of a key wins (one statement may not
    /// touch a row twice).
    private static func puts(_ run: ArraySlice<ResolvedWrite>) -> PostgresStatement {
        var latest: [Pair: [UInt8]] = [:]
        var order: [Pair] = []
        for case let .put(space, key, value) in run {
            let pair = Pair(space: space, key: key)
            if latest.updateValue(value, forKey: pair) == nil { order.append(pair) }
        }
        if order.count == 1, let only = order.first, let value = latest[only] {
            return PostgresStatement.make(PostgresSQL.put) { $0.bind(only.space); $0.bind(only.key); $0.bind(value) }
        }
        return PostgresStatement.make(PostgresSQL.putMany) { statement in
            statement.bind(order.map(\.space))
            statement.bind(order.map(\.key))
            statement.bind(order.map { latest[$0] ?? [] })
        }
    }

    /// One statement for a run of deletes.
    private static func deletes(_ run: ArraySlice<ResolvedWrite>) -> PostgresStatement {
        let pairs = run.compactMap { write -> Pair? in
            if case let .delete(space, key) = write { Pair(space: space, key: key) } else { nil }
        }
        if pairs.count == 1, let only = pairs.first {
            return PostgresStatement.make(PostgresSQL.delete) { $0.bind(only.space); $0.bind(only.key) }
        }
        return PostgresStatement.make(PostgresSQL.deleteMany) { statement in
            statement.bind(pairs.map(\.space))
            statement.bind(pairs.map(\.key))
        }
    }

    /// Folds `operands` (oldest first) onto `existing` with the key space's operator.
    static func fold(
        key: [UInt8], existing: [UInt8]?, operands: [[UInt8]], with mergeOperator: any MergeOperator,
        location: PostgresLocation
    ) throws(StorageError) -> [UInt8] {
        let folded = MergeOperands.withOperands(operands) { view in
            key.withUnsafeBytes { keyBytes in
                if let existing {
                    existing.withUnsafeBytes { mergeOperator.fullMerge(key: keyBytes, existingValue: $0, operands: view) }
                } else {
                    mergeOperator.fullMerge(key: keyBytes, existingValue: nil, operands: view)
                }
            }
        }
        guard let folded else {
            throw StorageError(.merge, path: location.description,
                               status: "Corruption: merge operator \(mergeOperator.name) refused its operands", code: .corruption)
        }
        return folded
    }

    /// A key in a key space, for de-duplicating a run of puts.
    private struct Pair: Hashable {
        let space: Int64
        let key: [UInt8]
    }
}
