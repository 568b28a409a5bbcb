// SortSink: the blocking `$sort` stage (bounded to the first `limit` documents when a $limit
// follows). In memory it is a stable sort; past its memory limit with `allowDiskUse` it writes
// sorted runs to a spill file and merges them k ways, ties going to the earlier run, so the
// result is the same stable order as the in-memory sort.

internal import BSON
internal import Documents

/// `$sort`, bounded to the first `limit` documents when a `$limit` follows.
final class SortSink: StageSink {
    let spec: SortSpec
    let limit: Int?
    private var buffered: [(key: [BSONValue], document: BSONDocument)] = []
    private var budget: MemoryBudget
    /// The file holding the sorted runs written so far, and each run's byte range.
    private var runFile: SpillFile?
    private var runs: [Range<Int>] = []

    init(_ spec: SortSpec, limit: Int?, next: DocumentSink, runtime: PipelineRuntime) {
        self.spec = spec
        self.limit = limit
        budget = MemoryBudget(stage: "$sort", options: runtime.options)
        super.init(next: next, runtime: runtime)
    }

    override func push(_ document: BSONDocument) throws(MongoError) -> Bool {
        buffered.append((try spec.validatedSortKey(for: document), document))
        try budget.charge(MemoryBudget.size(of: document))
        if let limit, buffered.count >= max(2 * limit, 1024) {
            // Top-k: only the first `limit` in order can ever be output.
            let sorted = sortedBuffer()
            for dropped in sorted.dropFirst(limit) { budget.release(MemoryBudget.size(of: dropped.document)) }
            buffered = Array(sorted.prefix(limit))
        }
        if budget.isOverLimit() { try spillRun() }
        return true
    }

    /// The buffer in sort order; equal keys keep their arrival order.
    private func sortedBuffer() -> [(key: [BSONValue], document: BSONDocument)] {
        buffered.enumerated().sorted { a, b in
            let order = spec.compareKeys(a.element.key, b.element.key)
            return order != 0 ? order < 0 : a.offset < b.offset
        }.map(\.element)
    }

    /// Writes the buffer, sorted, as one more run and empties it.
    private func spillRun() throws(MongoError) {
        try runtime.checkForInterrupt()
        let file: SpillFile
        if let existing = runFile {
            file = existing
        } else {
            file = try SpillFile(dataDirectory: runtime.database.store.scratchDirectory)
            runFile = file
        }
        let start = file.size
        var written = 0
        for entry in sortedBuffer().prefix(limit ?? Int.max) {
            try file.append(entry.document)
            written += 1
        }
        runs.append(start..<file.size)
        runtime.spillStatistics.spills += 1
        runtime.spillStatistics.spilledRecords += written
        runtime.spillStatistics.spilledBytes += file.size - start
        buffered = []
        budget.releaseAll()
    }

    override func finish() throws(MongoError) {
        defer {
            runFile = nil
            runs = []
        }
        if runs.isEmpty {
            runtime.peakMemory = max(runtime.peakMemory, budget.peak)
            try runtime.checkForInterrupt()
            let sorted = sortedBuffer()
            try runtime.checkForInterrupt()
            for entry in sorted.prefix(limit ?? Int.max) {
                try runtime.tick()
                guard try next.push(entry.document) else { break }
            }
            buffered = []
            try next.finish()
            return
        }
        if !buffered.isEmpty { try spillRun() }
        guard var file = runFile else { return }
        try file.flush()
        // Fan-in and read size scale with the limit: the merge holds one chunk per run.
        let fanIn = min(64, max(2, budget.limit / 16_384))
        let chunkSize = min(65_536, max(4_096, budget.limit / (2 * fanIn)))
        let take = limit ?? Int.max
        var ranges = runs
        while ranges.count > fanIn {
            // Too many runs to merge at once: merge them in groups into longer runs.
            let output = try SpillFile(dataDirectory: runtime.database.store.scratchDirectory)
            var merged: [Range<Int>] = []
            for batchStart in stride(from: 0, to: ranges.count, by: fanIn) {
                let start = output.size
                var remaining = take
                try merge(file, Array(ranges[batchStart..<min(batchStart + fanIn, ranges.count)]), chunkSize: chunkSize) {
                    (document) throws(MongoError) -> Bool in
                    try output.append(document)
                    remaining -= 1
                    return remaining > 0
                }
                merged.append(start..<output.size)
            }
            try output.flush()
            runtime.spillStatistics.spilledBytes += output.size
            runtime.spillStatistics.spilledRecords += output.count
            file = output
            ranges = merged
        }
        var remaining = take
        try merge(file, ranges, chunkSize: chunkSize) { (document) throws(MongoError) -> Bool in
            try runtime.tick()
            remaining -= 1
            return try next.push(document) && remaining > 0
        }
        runtime.peakMemory = max(runtime.peakMemory, budget.peak)
        try next.finish()
    }

    /// Merges sorted runs of `file` in order, passing each document to `output` until it
    /// returns false. Equal keys come from the earlier run first, which keeps the sort stable.
    private func merge(_ file: SpillFile, _ ranges: [Range<Int>], chunkSize: Int,
                       into output: (BSONDocument) throws(MongoError) -> Bool) throws(MongoError) {
        var readers = ranges.map { SpillReader(file, range: $0, chunkSize: chunkSize) }
        budget.releaseAll()
        try budget.charge(readers.count * chunkSize)
        var heap = MergeHeap(spec: spec)
        for run in readers.indices {
            if let document = try readers[run].next() {
                try budget.charge(MemoryBudget.size(of: document))
                heap.insert(MergeHeap.Head(key: spec.sortKey(for: document), document: document, run: run))
            }
        }
        while let head = heap.popFirst() {
            budget.release(MemoryBudget.size(of: head.document))
            guard try output(head.document) else { break }
            if let document = try readers[head.run].next() {
                try budget.charge(MemoryBudget.size(of: document))
                heap.insert(MergeHeap.Head(key: spec.sortKey(for: document), document: document, run: head.run))
            }
        }
        budget.releaseAll()
    }
}

/// A binary min-heap of the current document of each run, ordered by sort key, then run.
struct MergeHeap {
    struct Head {
        let key: [BSONValue]
        let document: BSONDocument
        let run: Int
    }

    let spec: SortSpec
    private var heads: [Head] = []

    init(spec: SortSpec) {
        self.spec = spec
    }

    private func precedes(_ a: Head, _ b: Head) -> Bool {
        let order = spec.compareKeys(a.key, b.key)
        return order != 0 ? order < 0 : a.run < b.run
    }

    mutating func insert(_ head: Head) {
        heads.append(head)
        var child = heads.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard precedes(heads[child], heads[parent]) else { break }
            heads.swapAt(child, parent)
            child = parent
        }
    }

    mutating func popFirst() -> Head? {
        guard !heads.isEmpty else { return nil }
        heads.swapAt(0, heads.count - 1)
        let first = heads.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heads.count && precedes(heads[left], heads[smallest]) { smallest = left }
            if right < heads.count && precedes(heads[right], heads[smallest]) { smallest = right }
            guard smallest != parent else { break }
            heads.swapAt(parent, smallest)
            parent = smallest
        }
        return first
    }
}
