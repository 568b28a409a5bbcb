// The two benchmark inputs, built deterministically so every run (and both libraries) see
// the same bytes: a ~1 KB document of mixed types, and the W1 metric document.
// Owns the documents and the paths looked up in them; owns no measurement.

import BSON

/// One benchmark input: the model, its bytes, a validated view and what to look up.
struct Fixture {
    /// The prefix of every benchmark name on this input ("W1", "Mixed1K").
    let name: String
    /// The document as Tessera's model.
    let document: BSONDocument
    /// Tessera's encoding of `document` (checked equal to libbson's at start-up).
    let bytes: [UInt8]
    /// A view validated once, for the lookup benchmarks.
    let view: BSONDocumentView
    /// A dotted path to a nested value.
    let path: String
    /// A top-level key.
    let topLevelKey: String

    init(name: String, document: BSONDocument, path: String, topLevelKey: String) {
        self.name = name
        self.document = document
        self.bytes = try! document.bsonBytes()
        self.view = try! BSONDocumentView(validating: bytes)
        self.path = path
        self.topLevelKey = topLevelKey
    }

    /// The W1 metric document: a day of per-minute counters for one metric,
    /// `{_id, metadata: {date, metric}, daily, hourly: {"00".."23"}, minute: {"00": {"00".."59"}, ...}}`.
    static func w1() -> Fixture {
        let twoDigits = (0..<60).map { $0 < 10 ? "0\($0)" : "\($0)" }
        var hourly = BSONDocument()
        var minute = BSONDocument()
        var daily: Int32 = 0
        for hour in 0..<24 {
            var minutes = BSONDocument()
            minutes.reserveCapacity(60)
            var hourTotal: Int32 = 0
            for minuteOfHour in 0..<60 {
                // A deterministic, irregular count per minute.
                let count = Int32((hour * 60 + minuteOfHour) * 7919 % 997)
                minutes.append(twoDigits[minuteOfHour], .int32(count))
                hourTotal += count
            }
            hourly.append(twoDigits[hour], .int32(hourTotal))
            minute.append(twoDigits[hour], .document(minutes))
            daily += hourTotal
        }
        var document = BSONDocument()
        document.append("_id", .string("20101010/metric-1"))
        var metadata = BSONDocument()
        metadata.append("date", .datetime(BSONDateTime(millisecondsSinceEpoch: 1_286_668_800_000)))
        metadata.append("metric", .string("metric-1"))
        document.append("metadata", .document(metadata))
        document.append("daily", .int32(daily))
        document.append("hourly", .document(hourly))
        document.append("minute", .document(minute))
        return Fixture(name: "W1", document: document, path: "minute.23.59", topLevelKey: "daily")
    }

    /// A ~1 KB document with every common type: strings (ASCII and multi-byte UTF-8), int32,
    /// int64, doubles, Booleans, null, ObjectId, datetimes, nested documents, small arrays
    /// and binary.
    static func mixed() -> Fixture {
        var document = BSONDocument()
        document.append("_id", .objectId(ObjectId(hex: "5f1e9c0a2b3c4d5e6f708192")!))
        document.append("name", .string("Tessera benchmark fixture"))
        document.append(
            "description",
            .string(
                "A deterministic document of mixed types, about one kilobyte once encoded, "
                    + "used to compare decoding, lookup, encoding and Extended JSON output "
                    + "between Tessera and libbson. Café, naïve, façade, Zürich, 東京, ✓."
            )
        )
        document.append("count", .int32(42))
        document.append("negative", .int32(-7))
        document.append("bigCount", .int64(9_000_000_000))
        document.append("ratio", .double(0.125))
        document.append("score", .double(3.141592653589793))
        document.append("active", .bool(true))
        document.append("deleted", .bool(false))
        document.append("parent", .null)
        document.append("createdAt", .datetime(BSONDateTime(millisecondsSinceEpoch: 1_286_668_800_000)))
        var geo = BSONDocument()
        geo.append("lat", .double(52.520008))
        geo.append("lng", .double(13.404954))
        var address = BSONDocument()
        address.append("street", .string("Unter den Linden 77"))
        address.append("city", .string("Berlin"))
        address.append("zip", .string("10117"))
        address.append("geo", .document(geo))
        document.append("address", .document(address))
        document.append("tags", .array([.string("alpha"), .string("beta"), .string("gamma"), .string("delta")]))
        document.append("ratings", .array([.int32(5), .int32(4), .int64(3), .double(4.5)]))
        var history: [BSONValue] = []
        for index in 0..<4 {
            var event = BSONDocument()
            event.append("at", .datetime(BSONDateTime(millisecondsSinceEpoch: 1_286_668_800_000 + Int64(index) * 3_600_000)))
            event.append("event", .string(index == 0 ? "created" : "updated"))
            event.append("by", .string(["alice", "bob", "carol", "dave"][index]))
            event.append("version", .int32(Int32(index + 1)))
            history.append(.document(event))
        }
        document.append("history", .array(history))
        document.append("payload", .binary(BSONBinary(subtype: .generic, bytes: (0..<192).map { UInt8($0 &* 37 & 0xFF) })))
        document.append("updatedAt", .datetime(BSONDateTime(millisecondsSinceEpoch: 1_286_683_200_000)))
        document.append("version", .int64(17))
        return Fixture(name: "Mixed1K", document: document, path: "address.geo.lng", topLevelKey: "version")
    }
}
