// ProfileSettingsStore: keeps the profiler's settings across restarts in
// `admin.system.profileSettings` — one document per profiled database (`_id`: its name,
// `level`, `filter`) and one for the server-wide figures (`_id: "*"`, `slowms`,
// `sampleRate`). The `profile` command writes them; the server reads them back at start.
// (mongod forgets them at restart; an operator here sets them once.)

import BSON
import Query

/// The profiler's stored settings, through the query engine.
struct ProfileSettingsStore: Sendable {
    /// The engine holding them.
    let engine: QueryEngine

    /// The collection's name in `admin`.
    static let collectionName = "system.profileSettings"
    /// The `_id` of the server-wide document.
    static let serverID = "*"

    /// What was stored: each database's settings and the server-wide figures.
    struct Stored {
        var databases: [String: DatabaseProfile] = [:]
        var slowMillis: Int?
        var sampleRate: Double?
    }

    private func collection() throws(MongoError) -> QueryCollection {
        try engine.collection(Self.collectionName, in: "admin")
    }

    /// Stores `database`'s settings (removing its document when it is at level 0 without a filter).
    func save(_ profile: DatabaseProfile, of database: String) throws(MongoError) {
        let id: BSONDocument = ["_id": .string(database)]
        guard profile.level > 0 || profile.filter != nil else {
            try collection().delete(id, multi: false, writeConcern: .journaled)
            return
        }
        var document: BSONDocument = ["_id": .string(database), "level": .int32(Int32(clamping: profile.level))]
        if let filter = profile.filter { document.append("filter", .document(filter.spec)) }
        _ = try collection().update(id, document, options: UpdateOptions(upsert: true, writeConcern: .journaled))
    }

    /// Stores the server-wide slow threshold and sample rate.
    func saveServer(slowMillis: Int, sampleRate: Double) throws(MongoError) {
        let document: BSONDocument = ["_id": .string(Self.serverID), "slowms": .int64(Int64(slowMillis)),
                                      "sampleRate": .double(sampleRate)]
        _ = try collection().update(["_id": .string(Self.serverID)], document,
                                    options: UpdateOptions(upsert: true, writeConcern: .journaled))
    }

    /// Everything stored. A document that no longer reads (a filter this version refuses)
    /// is skipped and named in `skipped`.
    func load() throws(MongoError) -> (stored: Stored, skipped: [String]) {
        var stored = Stored()
        var skipped: [String] = []
        for document in try collection().find(FindQuery()) {
            guard case let .string(id)? = document["_id"] else { continue }
            if id == Self.serverID {
                stored.slowMillis = document["slowms"].flatMap(ClientNumber.saturatedInteger).map { ClientNumber.int(clamping: $0) }
                stored.sampleRate = document["sampleRate"]?.doubleValue.flatMap { (0 ... 1).contains($0) ? $0 : nil }
                continue
            }
            var profile = DatabaseProfile()
            if let level = document["level"].flatMap(ClientNumber.saturatedInteger), (0 ... 2).contains(level) {
                profile.level = Int(level)  // checked: 0...2
            }
            if case let .document(spec)? = document["filter"] {
                do {
                    profile.filter = try Filter(spec)
                } catch {
                    skipped.append(id)
                    continue
                }
            }
            stored.databases[id] = profile
        }
        return (stored, skipped)
    }
}
