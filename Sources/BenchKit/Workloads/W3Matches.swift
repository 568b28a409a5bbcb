// W3's match documents (workloads.md, W3), made the same way by `tessera bench`'s w3-search
// and by `make bench-query`'s W3 figures: "now" of the simulation, matches spread 30 days
// either side of it, 30 % public. One generator, so both measure the same data.

public import BenchSupport
public import BSON

/// The W3 data set: padel matches by club, level, gender, court and date.
public enum W3Matches {
    /// "Now" of the simulation: 2026-11-21T00:00Z, in milliseconds since the epoch.
    public static let now: Int64 = 1_795_219_200_000
    /// One day in milliseconds.
    public static let day: Int64 = 86_400_000
    /// The `gender` values.
    public static let genders = ["female", "male", "mixed"]
    /// The `courtType` values.
    public static let courts = ["indoor", "outdoor", "covered"]

    /// Match `index` out of `clubs` clubs, drawing from `random` (date first, then the other
    /// fields, always in the same order). `dateAsMilliseconds` stores the date as an int64
    /// (the PostgreSQL target's jsonb) instead of a BSON date.
    public static func match(_ index: Int, clubs: Int, dateAsMilliseconds: Bool = false,
                             random: inout SeededGenerator) -> BSONDocument {
        let date = now + Int64.random(in: (-30 * day)..<(30 * day), using: &random)
        return [
            "_id": .int32(Int32(index)),
            "club": .string("club-\(Int.random(in: 0..<clubs, using: &random))"),
            "location": ["type": "Point", "coordinates": [
                .double(Double.random(in: -9.3 ... -8.9, using: &random)),
                .double(Double.random(in: 38.6...38.9, using: &random)),
            ]],
            "level": .int32(Int32.random(in: 1...10, using: &random)),
            "players": .int32(Bool.random(using: &random) ? 2 : 4),
            "courtType": .string(courts[Int.random(in: 0..<3, using: &random)]),
            "gender": .string(genders[Int.random(in: 0..<3, using: &random)]),
            "date": dateAsMilliseconds ? .int64(date) : .datetime(BSONDateTime(millisecondsSinceEpoch: date)),
            "public": .bool(Int.random(in: 0..<10, using: &random) < 3),
        ]
    }
}
