// CollatorCache: opened collators by collation request, so every operation with the same
// collation shares one ICU collator. Bounded: past its capacity the oldest entry is dropped
// (a client sending endless distinct collations costs a bounded amount of memory).

internal import Synchronization

/// A bounded, thread-safe map from collation requests to opened collators.
final class CollatorCache: Sendable {
    /// The cache every `Collator.make` uses.
    static let shared = CollatorCache(capacity: 128)

    private struct State {
        var entries: [CollationRequest: Collator] = [:]
        /// Requests in insertion order, oldest first.
        var order: [CollationRequest] = []
    }

    private let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        self.capacity = capacity
    }

    subscript(request: CollationRequest) -> Collator? {
        get { state.withLock { $0.entries[request] } }
        set {
            guard let newValue else { return }
            let capacity = self.capacity
            state.withLock { state in
                guard state.entries.updateValue(newValue, forKey: request) == nil else { return }
                state.order.append(request)
                if state.order.count > capacity {
                    state.entries[state.order.removeFirst()] = nil
                }
            }
        }
    }

    /// How many collators are open (tests).
    var count: Int { state.withLock { $0.entries.count } }
}
