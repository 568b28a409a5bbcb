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
