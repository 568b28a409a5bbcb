// CollectionStatsStages: `$collStats` (count, storageStats, latencyStats, queryExecStats) and
// `$indexStats` — source stages that replace the collection scan with documents describing
// the collection and its indexes. Tessera does not track latencies or index accesses: those
// figures are zero.

import Foundation
internal import BSON
internal import Documents

/// `$collStats`: which sections to report.
struct CollStatsSpec: Sendable {
    let count: Bool
    let storageScale: Int?
    let latencyStats: Bool
    let queryExecStats: Bool

    /// Parses `{latencyStats, storageStats: {scale}, count, queryExecStats}`.
    init(_ value: BSONValue) throws(MongoError) {
        guard case .document(let spec) = value else {
            throw MongoError(.location(5_447_000), "$collStats must take a nested object but found: \(ServerText.value(value))")
        }
        var count = false
        var scale: Int?
        var latency = false
        var queryExec = false
        for (key, option) in spec.elements {
            guard case .document(let options) = option else {
                throw MongoError(.typeMismatch, "BSON field '$collStats.\(key)' is the wrong type '\(option.type.alias)', expected type 'object'")
            }
            switch key {
            case "count": count = true
            case "queryExecStats": queryExec = true
            case "latencyStats":
                for field in options.keys where field != "histograms" {
                    throw MongoError(.location(40415), "BSON field '$collStats.latencyStats.\(field)' is an unknown field.")
                }
                latency = true
            case "storageStats":
                scale = 1
                for (field, setting) in options.elements {
                    switch field {
                    case "scale":
                        guard setting.isNumeric else {
                            throw MongoError(.typeMismatch, "BSON field '$collStats.storageStats.scale' is the wrong type '\(setting.type.alias)', expected type 'int'")
                        }
                        let number = ExpressionArithmetic.longValue(setting)
                        guard number >= 1 else {
                            throw MongoError(.location(51024), "BSON field 'scale' value must be >= 1, actual value '\(number)'")
                        }
                        scale = Int(number)
                    case "verbose", "waitForLock", "numericOnly": break
                    default:
                        throw MongoError(.location(40415), "BSON field '$collStats.storageStats.\(field)' is an unknown field.")
                    }
                }
            default:
                throw MongoError(.location(40415), "BSON field '$collStats.\(key)' is an unknown field.")
            }
        }
        self.count = count
        storageScale = scale
        latencyStats = latency
        queryExecStats = queryExec
    }
}

/// Validates `$indexStats`' argument: an empty object.
enum IndexStatsSpec {
    static func validate(_ value: BSONValue) throws(MongoError) {
        guard case .document(let spec) = value, spec.isEmpty else {
            throw MongoError(.location(28803), "The $indexStats stage specification must be an empty object")
        }
    }
}

extension QueryCollection {
    /// The one document `$collStats` returns.
    ///
    /// - Throws: `NamespaceNotFound` (26) for `storageStats` or `count` on a missing collection.
    func collStatsDocument(_ spec: CollStatsSpec) throws(MongoError) -> BSONDocument {
        var output: BSONDocument = [
            "ns": .string(namespace.description),
            "host": .string(ProcessInfo.processInfo.hostName),
            "localTime": .datetime(WallClock.now()),
        ]
        if spec.latencyStats {
            let zero: BSONDocument = ["latency": .int64(0), "ops": .int64(0)]
            output["latencyStats"] = .document(["reads": .document(zero), "writes": .document(zero),
                                                "commands": .document(zero), "transactions": .document(zero)])
        }
        let description = collection.store.catalog.collection(namespace)
        if spec.storageScale != nil || spec.count {
            guard description != nil else {
                throw MongoError(.namespaceNotFound, "Unable to retrieve storageStats in $collStats stage :: caused by :: Collection [\(namespace)] not found.")
            }
        }
        if let scale = spec.storageScale, let description {
            let sizes = try CollectionStatistics(scanning: collection, indexes: description.indexes)
            output["storageStats"] = .document(sizes.storageStats(scale: scale, capped: collection.cappedLimits))
        }
        if spec.count {
            output["count"] = .int64(Int64(try collection.count()))
        }
        if spec.queryExecStats {
            output["queryExecStats"] = .document(["collectionScans": .document(["total": .int64(0), "nonTailable": .int64(0)])])
        }
        return output
    }

    /// One document per index for `$indexStats` (accesses are not tracked: `ops` is 0).
    func indexStatsDocuments() -> [BSONDocument] {
        let host = ProcessInfo.processInfo.hostName
        let since = WallClock.now()
        return indexes.map { index in
            var spec: BSONDocument = ["v": .int32(index.version), "key": .document(index.key), "name": .string(index.name)]
            for (key, value) in index.options.elements where spec[key] == nil { spec.append(key, value) }
            return [
                "name": .string(index.name),
                "key": .document(index.key),
                "host": .string(host),
                "accesses": .document(["ops": .int64(0), "since": .datetime(since)]),
                "spec": .document(spec),
            ]
        }
    }
}
