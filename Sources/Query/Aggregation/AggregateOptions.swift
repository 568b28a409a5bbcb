// AggregateOptions: what an aggregate command passes besides its pipeline (allowDiskUse, the
// blocking stages' memory limit, `let` variables, a hint), and MemoryBudget, which blocking
// stages charge as they buffer: over the limit it fails with MongoDB's 292, or, with
// `allowDiskUse`, tells the stage to spill to disk (SpillFiles.swift).

public import BSON
internal import Documents

/// Options of one aggregation.
public struct AggregateOptions: Sendable {
    /// MongoDB's default limit for each blocking stage: 100 MB.
    public static let defaultMemoryLimit = 100 * 1024 * 1024

    /// Whether blocking stages past `memoryLimitBytes` spill to temporary files under the
    /// data directory's `_tmp` ($sort writes sorted runs and merges them; $group, $bucket and
    /// $sortByCount partition their input by group key) instead of failing with 292.
    public var allowDiskUse: Bool
    /// Bytes a blocking stage ($group, $sort, $bucket, $facet...) may hold.
    public var memoryLimitBytes: Int
    /// The command's `let`: variables every stage can read as `$$name`.
    public var variables: BSONDocument
    /// An index hint for the leading `$match`/`$sort`.
    public var hint: BSONValue?
    /// Whether `$merge` writes skip the target's validator (`bypassDocumentValidation`).
    public var bypassDocumentValidation = false

    /// Options with MongoDB's defaults.
    public init(allowDiskUse: Bool = false, memoryLimitBytes: Int = AggregateOptions.defaultMemoryLimit,
                variables: BSONDocument = BSONDocument(), hint: BSONValue? = nil) {
        self.allowDiskUse = allowDiskUse
        self.memoryLimitBytes = memoryLimitBytes
        self.variables = variables
        self.hint = hint
    }
}

/// The memory one blocking stage holds, checked against the limit as it grows.
struct MemoryBudget {
    let stage: String
    let limit: Int
    let allowDiskUse: Bool
    private(set) var used = 0
    /// The most this stage held.
    private(set) var peak = 0

    init(stage: String, options: AggregateOptions) {
        self.stage = stage
        self.limit = options.memoryLimitBytes
        self.allowDiskUse = options.allowDiskUse
    }

    /// Adds `bytes` to the stage's usage.
    ///
    /// - Throws: `QueryExceededMemoryLimitNoDiskUseAllowed` (292) past the limit without
    ///   `allowDiskUse`.
    mutating func charge(_ bytes: Int) throws(MongoError) {
        used += bytes
        peak = max(peak, used)
        if used > limit && !allowDiskUse {
            throw MongoError(
                .queryExceededMemoryLimitNoDiskUseAllowed,
                "PlanExecutor error during aggregation :: caused by :: Exceeded memory limit for \(stage), but didn't allow external spilling; pass allowDiskUse:true to opt in"
            )
        }
    }

    /// Gives `bytes` back.
    mutating func release(_ bytes: Int) {
        used -= bytes
    }

    /// Gives back everything the stage holds.
    mutating func releaseAll() {
        used = 0
    }

    /// Whether the stage holds more than the limit (only possible with `allowDiskUse`), or
    /// would once it set aside `reserve` more bytes: time to spill.
    func isOverLimit(reserving reserve: Int = 0) -> Bool { used + reserve > limit }

    /// An estimate of the memory a value takes (its BSON size plus bookkeeping).
    static func size(of value: BSONValue) -> Int {
        switch value {
        case .document(let document): return size(of: document)
        case .array(let elements): return elements.reduce(16) { $0 + 8 + size(of: $1) }
        case .string(let string), .symbol(let string), .javascript(let string): return 16 + string.utf8.count
        case .binary(let binary): return 16 + binary.bytes.count
        case .decimal128: return 16
        default: return 8
        }
    }

    /// An estimate of the memory a document takes.
    static func size(of document: BSONDocument) -> Int {
        document.elements.reduce(32) { $0 + 16 + $1.key.utf8.count + size(of: $1.value) }
    }
}
