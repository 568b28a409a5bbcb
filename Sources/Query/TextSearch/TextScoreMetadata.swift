// TextScoreMetadata: `{$meta: "textScore"}` past the stages a text search folds
// (TextPipelineFold) — mongod keeps a document's text score as metadata through the stages
// that pass documents on ($match, $project, $addFields/$set, $unset, $sort, $skip, $limit,
// $unwind, $lookup, $replaceRoot, ...) and loses it where a stage makes new documents ($group,
// $bucket, $bucketAuto, $count, $sortByCount, $facet). A pipeline naming the score where it is
// not available fails before running with mongod's 40218. Where it is, the text search's
// documents carry the score in a hidden field (a `$`-prefixed name no client can write) that
// `$meta` reads, inclusion projections and `$replaceRoot` keep, and the pipeline drops before
// its output.

import BSON

/// The text score as an aggregation pipeline carries it.
enum TextScoreMetadata {
    /// The hidden field holding a document's text score inside a pipeline.
    static let field = "$textScore"

    /// The `$meta` names mongod knows (8.0); only `textScore` is served here.
    private static let knownNames: Set<String> = [
        "textScore", "randVal", "searchScore", "searchHighlights", "geoNearDistance", "geoNearPoint", "recordId",
        "indexKey", "sortKey", "searchScoreDetails", "searchSequenceToken", "vectorSearchScore", "score", "scoreDetails",
        "timeseriesBucketMinTime", "timeseriesBucketMaxTime",
    ]

    /// The stages after which documents no longer carry metadata.
    private static let droppingStages: Set<String> = [
        "$group", "$bucket", "$bucketAuto", "$count", "$sortByCount", "$facet",
    ]

    /// The expression `{$meta: argument}`: the hidden score field of the current document.
    ///
    /// - Throws: `Location17308` for an unknown name, `NotImplemented` (238) for metadata
    ///   Tessera does not keep.
    static func expression(_ argument: BSONValue) throws(MongoError) -> Expression {
        guard case let .string(name) = argument, knownNames.contains(name) else {
            throw MongoError.location(17308, "Unsupported argument to $meta: \(ServerText.value(argument))")
        }
        guard name == "textScore" else {
            throw MongoError(MongoError.Code(238, "NotImplemented"), "$meta \(name) is not supported")
        }
        return .variable(.root, [field])
    }

    /// The error of a pipeline that names the score where documents do not carry it.
    static var unavailable: MongoError {
        MongoError.location(40218, "query requires text score metadata, but it is not available")
    }

    /// The position (in `stages`) of the last stage after the first `folded + 1` that names
    /// the score (`nil`: none does), checking that each naming stage has it: after a
    /// first-stage `$text` match and before a stage that drops it.
    ///
    /// - Throws: `Location40218` where a stage names the score without it.
    static func check(_ stages: [BSONDocument], textFirst: Bool, folded: Int) throws(MongoError) -> Int? {
        var available = textFirst
        var needed: Int?
        for (index, stage) in stages.enumerated() {
            guard let first = stage.first else { continue }
            if textFirst && index <= folded {
                continue
            }
            if references(first.value) {
                guard available else { throw unavailable }
                needed = index
            }
            if droppingStages.contains(first.key) { available = false }
        }
        return needed
    }

    /// Whether `value` holds `{$meta: "textScore"}` at any depth.
    static func references(_ value: BSONValue) -> Bool {
        switch value {
        case let .document(document):
            if document.count == 1, let only = document.first, only.key == "$meta", only.value.stringValue == "textScore" {
                return true
            }
            return document.contains { references($0.value) }
        case let .array(elements):
            return elements.contains(where: references)
        default:
            return false
        }
    }

    /// `stages` with the hidden field dropped right after `stages[last]`, the last stage that
    /// reads it, so no later stage (`$$ROOT`, `$out`/`$merge`, the output) sees it.
    static func dropped(from stages: [Stage], after last: Int) -> [Stage] {
        var stages = stages
        stages.insert(.unset([[field]]), at: min(max(last + 1, 0), stages.count))
        return stages
    }
}
