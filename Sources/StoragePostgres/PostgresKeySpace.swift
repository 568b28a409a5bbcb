// PostgresKeySpace: the key space handle of the PostgreSQL engine — a name, the id its rows
// carry in `tessera_kv.space`, the merge operator its name selects, and the dropped flag.
public import Storage
internal import Synchronization

/// One key space of a `PostgresStore`: the rows of `tessera_kv` whose `space` is `id`.
public final class PostgresKeySpace: KeySpace, Sendable {
    /// The key space's name.
    public let name: String
    /// The id its rows carry (never reused, so a dropped key space's rows cannot reappear).
    let id: Int64
    /// The engine that gave the handle out (`PostgresStore.identity`).
    let engine: Int
    /// The operator that folds merge operands, chosen by the longest matching name prefix.
    let mergeOperator: (any MergeOperator)?
    private let dropped = Atomic<Bool>(false)

    init(name: String, id: Int64, engine: Int, mergeOperator: (any MergeOperator)?) {
        self.name = name
        self.id = id
        self.engine = engine
        self.mergeOperator = mergeOperator
    }

    /// Whether the key space has been dropped through its engine.
    public var isDropped: Bool { dropped.load(ordering: .acquiring) }

    func markDropped() {
        dropped.store(true, ordering: .releasing)
    }
}
