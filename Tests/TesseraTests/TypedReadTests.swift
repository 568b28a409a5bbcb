// Typed reads through the public API: a Codable type with every shape the decoder handles
// (optionals, nested structs, arrays, dictionaries, Date, Data, enums, BSON model types,
// extreme numbers) read back by findOne's point read, by the planned path and by a cursor,
// each equal to what was stored; and documents that do not fit the type failing with the
// same TypeMismatch on every path.

import Foundation
import Testing
import Tessera

/// A profile with one field of each Codable shape.
private struct Profile: Codable, Sendable, Equatable {
    enum Level: Int, Codable, Sendable { case bronze = 1, gold = 3 }
    enum Kind: String, Codable, Sendable { case human, bot }
    struct Address: Codable, Sendable, Equatable {
        var street: String
        var zip: Int?
    }

    var _id: String
    var nickname: String?, missing: Int?
    var tags: [String], ratings: [String: Double]
    var joined: Date, avatar: Data
    var level: Level, kind: Kind
    var home: Address, history: [Address]
    var largest: Int64, smallest: Int, tiniest: Double, widest: UInt32
    var ref: ObjectId, amount: Decimal128, extra: BSONDocument
}

/// Two profiles that differ in every optional and extreme.
private func sampleProfiles() throws -> [Profile] {
    let ref = try #require(ObjectId(hex: "5f0c1a2b3c4d5e6f70819203"))
    let amount = try #require(Decimal128("-9.999999999999999999999999999999999E+6144"))
    return [
        Profile(_id: "p1", nickname: "ada", missing: nil, tags: ["a", "é", ""], ratings: ["x": 1.5, "y": -0.0],
                joined: Date(timeIntervalSince1970: 1_600_000_000), avatar: Data([0, 1, 255]), level: .gold,
                kind: .bot, home: .init(street: "Main", zip: 12345), history: [.init(street: "Old", zip: nil)],
                largest: .max, smallest: .min, tiniest: .leastNonzeroMagnitude, widest: .max, ref: ref,
                amount: amount, extra: ["n": .null, "arr": .array([.int32(1), .string("two")])]),
        Profile(_id: "p2", nickname: nil, missing: nil, tags: [], ratings: [:],
                joined: Date(timeIntervalSince1970: -86_400.5), avatar: Data(), level: .bronze, kind: .human,
                home: .init(street: "", zip: nil), history: [], largest: .min, smallest: .max,
                tiniest: -.greatestFiniteMagnitude, widest: 0, ref: ref, amount: amount, extra: [:]),
    ]
}

/// Narrow and converted scalars: what a point read decodes straight from the stored fields.
private struct Reading: Codable, Sendable, Equatable {
    var _id: String
    var small: Int8, unsigned: UInt16, whole: Int, ratio: Double, flag: Bool
    var maybe: Int?, note: String?
}

/// Reads `inner.a` through a nested container and swallows a failure into a default: the
/// point read must give what the planned path gives, never the default.
private struct Lenient: Codable, Sendable, Equatable {
    enum Keys: String, CodingKey { case _id, inner, a }
    var _id: String, a: Int

    init(_id: String, a: Int) {
        self._id = _id
        self.a = a
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        _id = try container.decode(String.self, forKey: ._id)
        a = (try? container.nestedContainer(keyedBy: Keys.self, forKey: .inner).decode(Int.self, forKey: .a)) ?? -1
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(_id, forKey: ._id)
        var inner = container.nestedContainer(keyedBy: Keys.self, forKey: .inner)
        try inner.encode(a, forKey: .a)
    }
}

@Suite("typed reads")
struct TypedReadTests {
    @Test func everyShapeReadsBackEquallyByPointReadPlannedReadAndCursor() async throws {
        try await withClient { client in
            let profiles = client.db("typed").collection("profiles", withType: Profile.self)
            let stored = try sampleProfiles()
            _ = try await profiles.insertMany(stored)
            for profile in stored {
                let byKey = try await profiles.findOne(["_id": .string(profile._id)])
                // A sort takes the planned path, which decodes the same stored document.
                let planned = try await profiles.findOne(["_id": .string(profile._id)], options: FindOneOptions(sort: ["_id": 1]))
                #expect(byKey == profile)
                #expect(planned == profile)
            }
            var streamed: [Profile] = []
            for try await profile in try await profiles.find() { streamed.append(profile) }
            #expect(streamed == stored)
        }
    }

    @Test func scalarsConvertTheSameWayOnEveryPath() async throws {
        try await withClient { client in
            let untyped = client.db("typed").collection("readings")
            _ = try await untyped.insertMany([
                // Stored as other BSON types than the Swift ones: int64, int32, double 2.0, int32.
                ["_id": "converted", "small": .int64(-128), "unsigned": .int32(65535), "whole": .double(2),
                 "ratio": .int32(3), "flag": true, "maybe": .null, "note": "n"],
                ["_id": "absent", "small": 1, "unsigned": 0, "whole": .int64(.max), "ratio": .double(-0.5), "flag": false],
                ["_id": "too-big", "small": 128, "unsigned": 0, "whole": 1, "ratio": 1, "flag": true],
                ["_id": "negative", "small": 1, "unsigned": -1, "whole": 1, "ratio": 1, "flag": true],
                ["_id": "fraction", "small": 1, "unsigned": 0, "whole": .double(0.5), "ratio": 1, "flag": true],
                ["_id": "not-bool", "small": 1, "unsigned": 0, "whole": 1, "ratio": 1, "flag": 1],
            ])
            let readings = untyped.withType(Reading.self)
            for id in ["converted", "absent"] {
                let byKey = try await readings.findOne(["_id": .string(id)])
                let planned = try await readings.findOne(["_id": .string(id)], options: FindOneOptions(sort: ["_id": 1]))
                #expect(byKey != nil, "\(id)")
                #expect(byKey == planned, "\(id)")
            }
            for id in ["too-big", "negative", "fraction", "not-bool"] {
                var errors: [TesseraError] = []
                for options in [nil, FindOneOptions(sort: ["_id": 1])] {
                    do throws(TesseraError) {
                        _ = try await readings.findOne(["_id": .string(id)], options: options)
                        Issue.record("\(id) decoded as a Reading")
                    } catch {
                        errors.append(error)
                    }
                }
                #expect(errors.map(\.codeName) == ["TypeMismatch", "TypeMismatch"], "\(id)")
                #expect(errors.first?.message == errors.last?.message, "\(id)")
            }
        }
    }

    @Test func aTypeThatSwallowsErrorsReadsTheSameByPointRead() async throws {
        try await withClient { client in
            let lenient = client.db("typed").collection("lenient", withType: Lenient.self)
            _ = try await lenient.insertOne(Lenient(_id: "l", a: 42))
            let byKey = try await lenient.findOne(["_id": "l"])
            let planned = try await lenient.findOne(["_id": "l"], options: FindOneOptions(sort: ["_id": 1]))
            #expect(planned?.a == 42)
            #expect(byKey == planned)
        }
    }

    @Test func documentsThatDoNotFitTheTypeFailWithTypeMismatchOnEveryPath() async throws {
        try await withClient { client in
            let untyped = client.db("typed").collection("scores")
            _ = try await untyped.insertMany([
                ["_id": "wrong-type", "game": "seven", "player": "ada", "score": 1],
                ["_id": "missing-field", "game": 1, "player": "ada"],
                ["_id": "fraction", "game": 1, "player": "ada", "score": .double(2.5)],
                ["_id": "null-field", "game": 1, "player": .null, "score": 1],
            ])
            let scores = untyped.withType(Score.self)
            for id in ["wrong-type", "missing-field", "fraction", "null-field"] {
                var errors: [TesseraError] = []
                for options in [nil, FindOneOptions(sort: ["_id": 1])] {
                    do throws(TesseraError) {
                        _ = try await scores.findOne(["_id": .string(id)], options: options)
                        Issue.record("\(id) decoded as a Score")
                    } catch {
                        errors.append(error)
                    }
                }
                #expect(errors.map(\.code) == [14, 14], "\(id)")
                #expect(errors.map(\.codeName) == ["TypeMismatch", "TypeMismatch"], "\(id)")
                #expect(errors.first?.message == errors.last?.message, "\(id)")
            }
        }
    }
}
