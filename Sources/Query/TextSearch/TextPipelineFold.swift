// TextPipelineFold: the stages right after an aggregation's first `$match` with `$text` that the
// text search runs itself, so `{$meta: "textScore"}` works there as in a find: `$sort` (score
// and ordinary keys), `$project` of plain inclusions/exclusions and `{$meta: "textScore"}`,
// `$addFields`/`$set` of `{$meta: "textScore"}` fields only, `$skip` and `$limit`. Folding stops
// at the first stage that does anything else (the pipeline runs it and the rest as usual).

import BSON

/// The find parts (sort, projection, skip, limit) a run of stages after a `$text` `$match` adds up to.
struct TextPipelineFold: Sendable {
    /// The sort keys (`{$meta: "textScore"}` allowed).
    private(set) var sort: BSONDocument?
    /// The projection (`{$meta: "textScore"}` fields allowed).
    private(set) var projection: BSONDocument?
    /// Documents skipped.
    private(set) var skip = 0
    /// Documents returned at most.
    private(set) var limit: Int?
    /// How many stages it took.
    private(set) var count = 0

    /// Folds the leading foldable stages of `stages`.
    init(_ stages: ArraySlice<BSONDocument>) {
        for stage in stages {
            guard stage.count == 1, let first = stage.first, take(first.key, first.value) else { break }
            count += 1
        }
    }

    /// Folds one stage; `false` (nothing changed) when it cannot.
    private mutating func take(_ name: String, _ value: BSONValue) -> Bool {
        switch (name, value) {
        case let ("$sort", .document(spec)):
            let onlyScore = spec.allSatisfy { QueryCollection.isTextScoreMeta($0.value) }
            // Ordinary keys sort the documents before any projection changed them.
            // A `$natural` key is the `$sort` stage's own error (16410), not a find's.
            guard !spec.isEmpty, spec["$natural"] == nil, sort == nil, skip == 0, limit == nil, projection == nil || onlyScore
            else { return false }
            sort = spec
        case let ("$project", .document(spec)):
            guard !spec.isEmpty, projection == nil,
                  spec.allSatisfy({ Self.isPlain($0.value) || QueryCollection.isTextScoreMeta($0.value) }) else { return false }
            projection = spec
        case let ("$addFields", .document(spec)), let ("$set", .document(spec)):
            guard !spec.isEmpty, spec.allSatisfy({ QueryCollection.isTextScoreMeta($0.value) }) else { return false }
            var merged = projection ?? BSONDocument()
            for element in spec { merged[element.key] = element.value }
            projection = merged
        case ("$skip", _):
            guard limit == nil, let count = Self.positive(value) else { return false }
            skip += count
        case ("$limit", _):
            guard let count = Self.positive(value) else { return false }
            limit = min(limit ?? count, count)
        default:
            return false
        }
        return true
    }

    /// A projection value that only includes or excludes.
    private static func isPlain(_ value: BSONValue) -> Bool {
        switch value {
        case .bool, .int32, .int64, .double: true
        default: false
        }
    }

    /// A positive integer given as int32 or int64 (anything else is left to the stage's parser).
    private static func positive(_ value: BSONValue) -> Int? {
        switch value {
        case .int32, .int64:
            guard let number = ClientNumber.truncatedInteger(value), number > 0 else { return nil }
            return ClientNumber.int(clamping: number)
        default:
            return nil
        }
    }
}
