// TopHeap: the bounded max-heap behind SortSpec.top — keeps the `limit` best documents seen
// so far with the worst of them at the root, so each new document costs O(log limit) and
// memory never exceeds `limit` entries.

internal import BSON

/// The `limit` smallest (key, arrival) pairs seen so far.
struct TopHeap {
    private struct Entry {
        let key: [BSONValue]
        let arrival: Int
        let document: BSONDocument
    }

    private let limit: Int
    private let spec: SortSpec
    private var entries: [Entry] = []
    private var arrivals = 0

    init(limit: Int, spec: SortSpec) {
        self.limit = max(0, limit)
        self.spec = spec
        entries.reserveCapacity(min(self.limit, 1024))
    }

    /// Whether `a` sorts after `b` (later arrival breaks key ties).
    private func isWorse(_ a: Entry, _ b: Entry) -> Bool {
        let order = spec.compareKeys(a.key, b.key)
        return order != 0 ? order > 0 : a.arrival > b.arrival
    }

    mutating func offer(_ document: BSONDocument, key: [BSONValue]) {
        let entry = Entry(key: key, arrival: arrivals, document: document)
        arrivals += 1
        guard limit > 0 else { return }
        if entries.count < limit {
            entries.append(entry)
            siftUp(entries.count - 1)
        } else if let worst = entries.first, isWorse(worst, entry) {
            entries[0] = entry
            siftDown(0)
        }
    }

    /// The kept documents, best first.
    func drain() -> [BSONDocument] {
        entries.sorted { isWorse($1, $0) }.map(\.document)
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard isWorse(entries[child], entries[parent]) else { return }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var worst = parent
            if left < entries.count && isWorse(entries[left], entries[worst]) { worst = left }
            if right < entries.count && isWorse(entries[right], entries[worst]) { worst = right }
            guard worst != parent else { return }
            entries.swapAt(parent, worst)
            parent = worst
        }
    }
}
