// GroupSink: hash-based `$group` (also behind $sortByCount and $bucket). Past its memory
// limit with `allowDiskUse` it becomes a hybrid hash aggregation: groups already in memory
// keep accumulating; documents of new groups go, by a hash of the group key, to one of
// several partition files, each aggregated in memory afterwards (and partitioned again,
// with another hash, if it is still too large). A group's documents all go to one place in
// arrival order, so every accumulator ($first, $push, $top...) sees what it would in memory.

internal import BSON
internal import Collation
internal import Documents

/// Hash-based `$group` (also `$sortByCount`'s grouping and `$bucket`'s).
final class GroupSink: StageSink {
    let id: (BSONDocument, ExpressionScope) throws(MongoError) -> BSONValue
    let fields: [(name: String, accumulator: Accumulator)]
    let stageName: String
    private var budget: MemoryBudget
    /// The groups of the first pass.
    private var table = GroupTable()
    /// Where documents of groups not in `table` go once the stage has spilled.
    private var partitions: [SpillFile] = []

    /// Partition files per spill.
    static let partitionCount = 16
    /// Deeper than this a partition is aggregated in memory whatever its size.
    static let maximumDepth = 6

    /// The groups held in memory by one pass, in the order their keys first appeared.
    struct GroupTable {
        var groups: [[UInt8]: Int] = [:]
        var order: [(id: BSONValue, states: [AccumulatorState])] = []
    }

    init(stageName: String, fields: [(name: String, accumulator: Accumulator)], next: DocumentSink, runtime: PipelineRuntime,
         id: @escaping (BSONDocument, ExpressionScope) throws(MongoError) -> BSONValue) {
        self.id = id
        self.fields = fields
        self.stageName = stageName
        budget = MemoryBudget(stage: stageName, options: runtime.options)
        super.init(next: next, runtime: runtime)
    }

    override func push(_ document: BSONDocument) throws(MongoError) -> Bool {
        try consume(document, table: &table, partitions: &partitions, depth: 0)
        return true
    }

    /// Adds `document` to its group in `table`, or writes it to its partition once spilled.
    private func consume(_ document: BSONDocument, table: inout GroupTable, partitions: inout [SpillFile],
                         depth: Int) throws(MongoError) {
        try runtime.tick()
        let scope = runtime.scope(for: document)
        let key = try id(document, scope)
        // Under a collation, keys equal by it are one group (the first key seen names it).
        let encoded = KeyEncoding.key(for: scope.collator?.comparisonKey(key) ?? key)
        let index: Int
        if let existing = table.groups[encoded] {
            index = existing
        } else if !partitions.isEmpty {
            let file = partitions[Self.partition(of: encoded, depth: depth)]
            let bytes = try file.append(document)
            runtime.spillStatistics.spilledRecords += 1
            runtime.spillStatistics.spilledBytes += bytes
            return
        } else {
            index = table.order.count
            table.groups[encoded] = index
            table.order.append((key, fields.map { $0.accumulator.makeState() }))
            try budget.charge(64 + encoded.count + MemoryBudget.size(of: key) + 48 * fields.count)
        }
        var grown = 0
        for (position, field) in fields.enumerated() {
            grown += try table.order[index].states[position].add(field.accumulator, scope)
        }
        if grown > 0 { try budget.charge(grown) }
        // The partitions' write buffers count against the limit too.
        let bufferSize = min(65_536, max(4_096, budget.limit / (4 * Self.partitionCount)))
        if partitions.isEmpty && depth < Self.maximumDepth && budget.isOverLimit(reserving: bufferSize * Self.partitionCount) {
            guard budget.allowDiskUse else { return }
            for _ in 0..<Self.partitionCount {
                partitions.append(try SpillFile(dataDirectory: runtime.database.store.scratchDirectory, bufferSize: bufferSize))
            }
            try budget.charge(bufferSize * Self.partitionCount)
            runtime.spillStatistics.spills += 1
        }
    }

    override func finish() throws(MongoError) {
        var files = partitions
        partitions = []
        if try emit(&table) {
            budget.releaseAll()
            _ = try drain(&files, depth: 1)
        }
        files = []
        runtime.peakMemory = max(runtime.peakMemory, budget.peak)
        try next.finish()
    }

    /// Aggregates each partition file in memory (partitioning it again if it overflows) and
    /// emits its groups. False when the next stage wants no more.
    private func drain(_ files: inout [SpillFile], depth: Int) throws(MongoError) -> Bool {
        let chunkSize = min(65_536, max(4_096, budget.limit / 16))
        while !files.isEmpty {
            let file = files.removeFirst()
            guard file.count > 0 else { continue }
            try file.flush()
            var table = GroupTable()
            var partitions: [SpillFile] = []
            var reader = SpillReader(file, range: 0..<file.size, chunkSize: chunkSize)
            while let document = try reader.next() {
                try consume(document, table: &table, partitions: &partitions, depth: depth)
            }
            guard try emit(&table) else { return false }
            budget.releaseAll()
            guard try drain(&partitions, depth: depth + 1) else { return false }
        }
        return true
    }

    /// Pushes the groups of `table` to the next stage and empties it. False when the next
    /// stage wants no more.
    private func emit(_ table: inout GroupTable) throws(MongoError) -> Bool {
        defer { table = GroupTable() }
        for group in table.order {
            try runtime.tick()
            var output: BSONDocument = ["_id": group.id]
            for (position, field) in fields.enumerated() {
                output.append(field.name, group.states[position].result(field.accumulator))
            }
            guard try next.push(output) else { return false }
        }
        return true
    }

    /// The partition of a group key at `depth`: FNV-1a seeded by depth, then mixed, so each
    /// level splits a partition differently.
    static func partition(of key: [UInt8], depth: Int) -> Int {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325 ^ (UInt64(depth) &* 0x9E37_79B9_7F4A_7C15)
        for byte in key {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        hash = (hash ^ (hash >> 30)) &* 0xBF58_476D_1CE4_E5B9
        hash = (hash ^ (hash >> 27)) &* 0x94D0_49BB_1331_11EB
        hash ^= hash >> 31
        return Int(hash % UInt64(partitionCount))
    }
}
