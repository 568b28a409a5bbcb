// YCSB core workloads A–F over `usertable`: records of ten 100-byte fields (1 KB) keyed
// "user<fnv hash>", keys chosen by YCSB's scrambled zipfian (D: latest). Operation mixes:
// A 50 read/50 update, B 95/5, C read only, D 95 read latest/5 insert, E 95 scan/5 insert,
// F 50 read/50 read-modify-write.
//
// MongoDB (as YCSB's mongodb binding): read = find {_id} limit 1; update = update
// {_id} {$set: {fieldN}}; insert = insert; scan = find {_id: {$gte}} sort {_id: 1} limit n.
// Writes use w: 1.
// PostgreSQL: table usertable (id text PRIMARY KEY, doc jsonb) — the primary key is the
// `_id` index; the cluster uses the C collation, so text order is byte order as in BSON.
// read = SELECT doc WHERE id = $1; update = UPDATE ... SET doc = jsonb_set(doc, {fieldN},
// value); insert = INSERT; scan = SELECT doc WHERE id >= $1 ORDER BY id LIMIT n.
// Writes use synchronous_commit = off (w: 1's guarantee).

public import BenchSupport
import BSON
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One of YCSB's core workloads.
public final class YCSBWorkload: Workload {
    /// The six core workloads.
    public enum Mix: String, Sendable, CaseIterable {
        case a, b, c, d, e, f
    }

    /// `ycsb-a` … `ycsb-f`.
    public var name: String { "ycsb-\(mix.rawValue)" }
    /// YCSB's default: acknowledged writes.
    public let durability = Durability.acknowledged
    /// The record count (1,000,000 by default).
    public let records: Int
    /// read, update, insert, scan, read-modify-write.
    public let operationNames = ["read", "update", "insert", "scan", "rmw"]
    /// Which mix.
    public let mix: Mix

    static let fieldCount = 10
    static let fieldLength = 100
    static let collection = "usertable"
    static let maxScanLength = 100

    private let chooser: ScrambledZipfianGenerator
    private let latest: ZipfianGenerator?
    private let inserted: Atomic<Int>
    private let firstInsert: Int

    /// The workload `mix` over `records` records.
    public init(mix: Mix, records: Int, seed: UInt64) {
        self.mix = mix
        self.records = records
        chooser = ScrambledZipfianGenerator(count: records)
        latest = mix == .d ? ZipfianGenerator(items: records) : nil
        // Record numbers past the loaded ones, unique across runs over the same data set:
        // the wall clock in microseconds (a run inserts less than one record per microsecond).
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        firstInsert = records + now.tv_sec * 1_000_000 + now.tv_nsec / 1_000
        inserted = Atomic(firstInsert)
    }

    /// YCSB's key for record number `number`.
    static func key(_ number: Int) -> String {
        "user\(fnv64(UInt64(number)))"
    }

    /// A record: `_id` and field0…field9, each 100 random printable characters.
    static func record(_ number: Int, random: inout SeededGenerator) -> BSONDocument {
        var document: BSONDocument = ["_id": .string(key(number))]
        for field in 0..<fieldCount { document.append("field\(field)", .string(value(&random))) }
        return document
    }

    private static let alphabet: [UInt8] = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)

    /// A 100-character field value.
    static func value(_ random: inout SeededGenerator) -> String {
        var bytes = [UInt8](repeating: 0, count: fieldLength)
        var bits = random.next()
        for index in 0..<fieldLength {
            if index % 10 == 0 { bits = random.next() }
            bytes[index] = alphabet[Int(bits % UInt64(alphabet.count))]
            bits /= UInt64(alphabet.count)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Loads the records once per target (kept for later YCSB runs over the same count).
    public func prepare(_ session: BenchSession) throws(BenchError) {
        if try DataSet.isLoaded(session, name: Self.collection, records: records) { return }
        try DataSet.recreate(session, Self.collection)
        var random = SeededGenerator(seed: 0x5943_5342)
        try DataSet.load(session, Self.collection, count: records) { Self.record($0, random: &random) }
        try DataSet.markLoaded(session, name: Self.collection, records: records)
    }

    /// One operation of the mix.
    public func perform(_ session: BenchSession, ticket: Int, random: inout SeededGenerator) throws(BenchError) -> Int {
        let roll = Int.random(in: 0..<100, using: &random)
        switch mix {
        case .a: return roll < 50 ? try read(session, &random) : try update(session, &random)
        case .b: return roll < 95 ? try read(session, &random) : try update(session, &random)
        case .c: return try read(session, &random)
        case .d: return roll < 95 ? try readLatest(session, &random) : try insert(session, &random)
        case .e: return roll < 95 ? try scan(session, &random) : try insert(session, &random)
        case .f:
            if roll < 50 { return try read(session, &random) }
            _ = try read(session, &random)
            _ = try update(session, &random)
            return 4
        }
    }

    private func read(_ session: BenchSession, _ random: inout SeededGenerator) throws(BenchError) -> Int {
        try read(session, key: Self.key(chooser.next(using: &random)), mustExist: true)
    }

    private func readLatest(_ session: BenchSession, _ random: inout SeededGenerator) throws(BenchError) -> Int {
        // The newest records are this run's inserts, then the loaded ones from the last down.
        let insertedThisRun = inserted.load(ordering: .relaxed) - firstInsert
        let back = latest?.next(using: &random) ?? 0
        let number = back < insertedThisRun
            ? firstInsert + insertedThisRun - 1 - back : max(records - 1 - (back - insertedThisRun), 0)
        return try read(session, key: Self.key(number), mustExist: false)
    }

    /// Reads one record; a record another connection is still inserting (D) may be missing.
    private func read(_ session: BenchSession, key: String, mustExist: Bool) throws(BenchError) -> Int {
        switch session {
        case let .document(db):
            let reply = try db.command(
                ["find": .string(Self.collection), "filter": ["_id": .string(key)], "limit": 1, "singleBatch": true],
                database: DataSet.database)
            if mustExist, DataSet.batchCount(reply) != 1 { throw BenchError("ycsb read: \(key) not found") }
        case let .sql(sql):
            let rows = try sql.execute("SELECT doc::text FROM usertable WHERE id = $1", [.text(key)])
            if mustExist, rows.count != 1 { throw BenchError("ycsb read: \(key) not found") }
        }
        return 0
    }

    private func update(_ session: BenchSession, _ random: inout SeededGenerator) throws(BenchError) -> Int {
        let key = Self.key(chooser.next(using: &random))
        let field = "field\(Int.random(in: 0..<Self.fieldCount, using: &random))"
        let value = Self.value(&random)
        switch session {
        case let .document(db):
            _ = try db.command([
                "update": .string(Self.collection),
                "updates": [["q": ["_id": .string(key)], "u": ["$set": .document([field: .string(value)])]]],
                "writeConcern": .document(durability.writeConcern),
            ], database: DataSet.database)
        case let .sql(sql):
            try sql.execute("UPDATE usertable SET doc = jsonb_set(doc, ARRAY[$2::text], to_jsonb($3::text)) WHERE id = $1",
                            [.text(key), .text(field), .text(value)])
        }
        return 1
    }

    private func insert(_ session: BenchSession, _ random: inout SeededGenerator) throws(BenchError) -> Int {
        let number = inserted.add(1, ordering: .relaxed).oldValue
        try DataSet.insert(session, Self.collection, [Self.record(number, random: &random)], durability: durability)
        return 2
    }

    private func scan(_ session: BenchSession, _ random: inout SeededGenerator) throws(BenchError) -> Int {
        let key = Self.key(chooser.next(using: &random))
        let length = Int.random(in: 1...Self.maxScanLength, using: &random)
        switch session {
        case let .document(db):
            _ = try db.command([
                "find": .string(Self.collection), "filter": ["_id": ["$gte": .string(key)]], "sort": ["_id": 1],
                "limit": .int32(Int32(length)), "singleBatch": true,
            ], database: DataSet.database)
        case let .sql(sql):
            _ = try sql.execute("SELECT doc::text FROM usertable WHERE id >= $1 ORDER BY id LIMIT $2",
                                [.text(key), .int(Int64(length))])
        }
        return 3
    }
}
