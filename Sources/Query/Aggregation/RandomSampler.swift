// RandomSampler: `$sample` as the first stage without scanning the collection — each pick is
// one seek to a random point between the smallest and largest `_id` keys. Picks are as
// uniform as the keys are evenly spread; when seeks cannot find enough distinct documents
// (small collections) it falls back to one scan with reservoir sampling.

internal import BSON
internal import Documents

struct RandomSampler {
    let collection: DocumentCollection
    /// Polled while seeking and while scanning.
    var interrupt: OperationInterrupt = .none

    /// The largest sample taken by seeking random keys; larger ones scan the collection.
    static let maxSeekingSample = 100_000

    func sample(_ size: Int, into sink: DocumentSink, statistics: inout ExecutionStatistics) throws(MongoError) {
        guard size > 0, let range = try collection.keyRange() else { return }
        var generator = SystemRandomNumberGenerator()
        var picked: Set<[UInt8]> = []
        var documents: [BSONDocument] = []
        var attempts = 0
        // Seeking pays for small samples; a large one (a client may ask for Int64.max) reads
        // the collection once instead, so the attempts stay bounded either way.
        let maxAttempts = size <= Self.maxSeekingSample ? size * 8 + 32 : 0
        var poll = interrupt.poll()
        while documents.count < size && attempts < maxAttempts {
            try poll.tick()
            attempts += 1
            let key = Self.randomKey(between: range.first, and: range.last, using: &generator)
            statistics.totalDocsExamined += 1
            var found = try collection.document(atOrAfter: key)
            if found == nil { found = try collection.document(atOrAfter: range.first) }
            guard let found else { break }
            if picked.insert(found.key).inserted { documents.append(found.document) }
        }
        if documents.count < size {
            // Not enough distinct documents by seeking: the collection is small; sample it whole.
            var reservoir: [BSONDocument] = []
            var seen = 0
            try collection.forEachDocument(interrupt: interrupt) { (document) throws(MongoError) -> Bool in
                seen += 1
                statistics.totalDocsExamined += 1
                if reservoir.count < size {
                    reservoir.append(document)
                } else {
                    let slot = Int.random(in: 0..<seen, using: &generator)
                    if slot < size { reservoir[slot] = document }
                }
                return true
            }
            documents = reservoir.shuffled(using: &generator)
        }
        for document in documents {
            statistics.nReturned += 1
            guard try sink.push(document) else { break }
        }
    }

    /// A key between `low` and `high`: their common prefix, then a uniform 8-byte value
    /// between theirs, then random bytes.
    static func randomKey(between low: [UInt8], and high: [UInt8], using generator: inout SystemRandomNumberGenerator) -> [UInt8] {
        var prefix = 0
        while prefix < low.count && prefix < high.count && low[prefix] == high[prefix] { prefix += 1 }
        func word(_ bytes: [UInt8]) -> UInt64 {
            var value: UInt64 = 0
            for offset in 0..<8 {
                let index = prefix + offset
                value = value << 8 | UInt64(index < bytes.count ? bytes[index] : 0)
            }
            return value
        }
        let lower = word(low)
        let upper = max(lower, word(high))
        let chosen = UInt64.random(in: lower...upper, using: &generator)
        var key = Array(low.prefix(prefix))
        for shift in stride(from: 56, through: 0, by: -8) { key.append(UInt8(truncatingIfNeeded: chosen >> UInt64(shift))) }
        for _ in 0..<8 { key.append(UInt8.random(in: 0...255, using: &generator)) }
        return key
    }
}
