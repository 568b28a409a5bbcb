// GeoNearStage: the aggregation stage `$geoNear` (first stage only) — its options (near,
// distanceField, spherical, query, key, includeLocs, distanceMultiplier, minDistance,
// maxDistance) with MongoDB's errors, the near query it stands for, and what it adds to each
// document (the distance, scaled, and the nearest stored location).

internal import BSON
internal import Documents

/// What `$geoNear` adds to each document it returns.
struct GeoNearOutput: Sendable {
    /// Where the distance goes.
    let distanceField: [String]
    /// Where the nearest location goes (`includeLocs`), if anywhere.
    let includeLocs: [String]?
    /// The factor the distance is multiplied by.
    let distanceMultiplier: Double

    /// `document` with the distance (in the near point's units, scaled) and location set.
    func annotate(_ document: BSONDocument, distance: Double, location: BSONValue) -> BSONDocument {
        var result = DocumentPaths.setting(distanceField[...], to: .double(distance * distanceMultiplier), in: document)
        if let includeLocs { result = DocumentPaths.setting(includeLocs[...], to: location, in: result) }
        return result
    }
}

/// A parsed `$geoNear` stage.
struct GeoNearStageSpec: Sendable {
    /// The point, as given (a GeoJSON Point or a legacy pair).
    let near: BSONValue
    /// The filter documents must also match.
    let query: BSONDocument
    /// The path of the indexed geometries, if named.
    let key: String?
    let minDistance: Double?
    let maxDistance: Double?
    /// Whether distances are on the sphere (`spherical`; a 2d index measures on the plane without it).
    let spherical: Bool
    let output: GeoNearOutput

    /// Parses the stage's argument.
    ///
    /// - Throws: `BadValue` (2) and MongoDB's location codes for malformed options.
    init(_ value: BSONValue) throws(MongoError) {
        guard case let .document(spec) = value else {
            throw MongoError(.location(10065), "$geoNear only takes an object")
        }
        var near: BSONValue?
        var distanceField: [String]?
        var query = BSONDocument()
        var key: String?
        var includeLocs: [String]?
        var multiplier = 1.0
        var minDistance: Double?
        var maxDistance: Double?
        var spherical = false
        for (option, argument) in spec.elements {
            switch option {
            case "near":
                near = argument
            case "distanceField":
                guard case let .string(path) = argument else {
                    throw MongoError(.typeMismatch, "$geoNear requires that 'distanceField' option as a String")
                }
                distanceField = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            case "includeLocs":
                guard case let .string(path) = argument else {
                    throw MongoError(.typeMismatch, "$geoNear requires that 'includeLocs' option is a String")
                }
                includeLocs = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            case "query":
                guard case let .document(filter) = argument else {
                    throw MongoError(.typeMismatch, "query must be an object")
                }
                query = filter
            case "key":
                guard case let .string(path) = argument else {
                    throw MongoError(.typeMismatch, "$geoNear parameter 'key' must be of type string but found type: \(argument.type.alias)")
                }
                guard !path.isEmpty else { throw MongoError(.badValue, "$geoNear parameter 'key' cannot be the empty string") }
                key = path
            case "distanceMultiplier":
                guard let number = GeoQueryParsing.number(argument), number >= 0 else {
                    throw MongoError(.badValue, "distanceMultiplier must be a non-negative number")
                }
                multiplier = number
            case "minDistance": minDistance = try NearPredicate.distance("minDistance", argument)
            case "maxDistance": maxDistance = try NearPredicate.distance("maxDistance", argument)
            case "spherical":
                spherical = FilterParser.isTruthy(argument)
            case "uniqueDocs", "num", "limit":
                break
            default:
                throw MongoError(.location(40415), "BSON field '$geoNear.\(option)' is an unknown field.")
            }
        }
        guard let near else { throw MongoError(.badValue, "$geoNear requires a 'near' argument") }
        guard let distanceField else { throw MongoError(.badValue, "$geoNear requires a 'distanceField' argument") }
        self.near = near
        self.query = query
        self.key = key
        self.minDistance = minDistance
        self.maxDistance = maxDistance
        self.spherical = spherical
        output = GeoNearOutput(distanceField: distanceField, includeLocs: includeLocs, distanceMultiplier: multiplier)
    }

    /// The near query the stage runs: `query` and a `$nearSphere` on the geometry path.
    ///
    /// - Throws: `IndexNotFound` (27) without `key` when the collection has no 2dsphere index
    ///   or more than one; `BadValue` (2) for a near operator inside `query`.
    func filter(indexes: [IndexDescription]) throws(MongoError) -> BSONDocument {
        if Self.mentionsNear(.document(query)) {
            throw MongoError(.badValue, "$geoNear, $near, and $nearSphere are not allowed in this context")
        }
        let path: String
        if let key {
            path = key
        } else {
            let paths = Set(indexes.flatMap(GeoBounds.geoPaths(of:)))
            guard let only = paths.first else {
                throw MongoError(.indexNotFound, "$geoNear requires a 2d or 2dsphere index, but none were found")
            }
            guard paths.count == 1 else {
                throw MongoError(.indexNotFound, "There is more than one 2dsphere index; unsure which to use for $geoNear")
            }
            path = only
        }
        var operators: BSONDocument
        if case let .document(point) = near, point["type"] != nil {
            var geometry: BSONDocument = ["$geometry": near]
            if let minDistance { geometry["$minDistance"] = .double(minDistance) }
            if let maxDistance { geometry["$maxDistance"] = .double(maxDistance) }
            operators = ["$nearSphere": .document(geometry)]
        } else {
            operators = [spherical ? "$nearSphere" : "$near": near]
            if let minDistance { operators["$minDistance"] = .double(minDistance) }
            if let maxDistance { operators["$maxDistance"] = .double(maxDistance) }
        }
        let nearClause: BSONDocument = [path: .document(operators)]
        return query.isEmpty ? nearClause : ["$and": [.document(query), .document(nearClause)]]
    }

    private static func mentionsNear(_ value: BSONValue) -> Bool {
        switch value {
        case let .document(document):
            document.contains { GeoNearRules.operators.contains($0.key) || mentionsNear($0.value) }
        case let .array(elements):
            elements.contains(where: mentionsNear)
        default:
            false
        }
    }
}

/// The explain stage of a near search.
enum GeoNearExplain {
    static func stage(_ near: GeoNearPlan, filter: BSONDocument, statistics: ExecutionStatistics?) -> BSONDocument {
        var stage: BSONDocument = [
            "stage": .string(near.flat == nil ? "GEO_NEAR_2DSPHERE" : "GEO_NEAR_2D"),
            "keyPattern": .document(near.index.key),
            "indexName": .string(near.index.name),
            "indexVersion": .int32(2),
        ]
        if !filter.isEmpty { stage["filter"] = .document(filter) }
        if let statistics {
            stage["keysExamined"] = .int32(Int32(clamping: statistics.totalKeysExamined))
            stage["docsExamined"] = .int32(Int32(clamping: statistics.totalDocsExamined))
        }
        return stage
    }
}
