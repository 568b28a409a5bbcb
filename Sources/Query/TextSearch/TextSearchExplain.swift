// TextSearchExplain: a text search's explain document as MongoDB shapes it — TEXT_MATCH over
// FETCH over TEXT_OR over one IXSCAN per term (a SORT on top when asked), with the parsed text
// query, and executionStats at that verbosity.

import BSON
import Documents

extension TextSearchPlan {
    /// The explain document of this plan; `run` carries the figures at `executionStats`.
    func explain(namespace: Namespace, filter: BSONDocument, verbosity: ExplainVerbosity,
                 run: TextSearchRun?) -> BSONDocument {
        let execution = verbosity == .queryPlanner ? nil : run.map { ($0.statistics, stages(run: $0)) }
        return ExplainWriter.envelope(namespace: namespace, filter: filter, winningPlan: stages(run: nil), execution: execution)
    }

    private func stages(run: TextSearchRun?) -> BSONDocument {
        var keyPattern = BSONDocument()
        for element in index.key { keyPattern.append(element.key, element.value) }
        let scans: [BSONValue] = parsed.indexTerms.map { term in
            var bounds = BSONDocument()
            for (path, value) in zip(spec.prefixPaths, prefix) {
                bounds[path] = .array([.string("[\(value.extendedJSON()), \(value.extendedJSON())]")])
            }
            bounds["_fts"] = .array([.string("[\"\(term)\", \"\(term)\"]")])
            bounds["_ftsx"] = .array([.string("[MinKey, MaxKey]")])
            for path in spec.suffixPaths { bounds[path] = .array([.string("[MinKey, MaxKey]")]) }
            return .document([
                "stage": "IXSCAN", "keyPattern": .document(keyPattern), "indexName": .string(index.name),
                "isMultiKey": true, "isUnique": false, "isSparse": false, "isPartial": false, "indexVersion": .int32(2),
                "direction": "backward", "indexBounds": .document(bounds),
            ])
        }
        var textOr: BSONDocument = ["stage": "TEXT_OR"]
        if scans.count == 1, let only = scans.first { textOr["inputStage"] = only } else { textOr["inputStages"] = .array(scans) }
        var fetch: BSONDocument = ["stage": "FETCH", "inputStage": .document(textOr)]
        if let run { fetch["docsExamined"] = .int32(Int32(clamping: run.statistics.totalDocsExamined)) }
        var indexPrefix = BSONDocument()
        for (path, value) in zip(spec.prefixPaths, prefix) { indexPrefix.append(path, value) }
        var stage: BSONDocument = [
            "stage": "TEXT_MATCH",
            "indexPrefix": .document(indexPrefix),
            "indexName": .string(index.name),
            "parsedTextQuery": .document([
                "terms": .array(parsed.indexTerms.sorted().map(BSONValue.string)),
                "negatedTerms": .array(parsed.negatedTerms.sorted().map(BSONValue.string)),
                "phrases": .array(parsed.phrases.map(BSONValue.string)),
                "negatedPhrases": .array(parsed.negatedPhrases.map(BSONValue.string)),
            ]),
            "textIndexVersion": .int32(3),
            "inputStage": .document(fetch),
        ]
        if let run { stage["nReturned"] = .int32(Int32(clamping: run.statistics.nReturned)) }
        if !sort.isEmpty { stage = ["stage": "SORT", "inputStage": .document(stage)] }
        return stage
    }
}
