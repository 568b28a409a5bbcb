// SCRAM without a socket: RFC 5802's SCRAM-SHA-1 and RFC 7677's SCRAM-SHA-256 conversations
// and MongoDB's SCRAM-SHA-1 (MD5-digested password) vector replayed through the server state
// machine, every transition and failure of that machine, the message grammar and SASLprep.

import BSON
@testable import Commands
import Documents
import Testing

@Suite struct SCRAMTests {
    /// One recorded conversation: what the client sent and what the server must answer.
    struct Vector {
        var mechanism: SCRAMMechanism
        var preparedPassword: [UInt8]
        var salt: String
        var iterations: Int
        var clientNonce: String
        var serverNonce: String
        var clientFinal: String
        var serverFinal: String
    }

    static let rfc5802 = Vector(
        mechanism: .sha1, preparedPassword: Array("pencil".utf8), salt: "QSXCR+Q6sek8bf92", iterations: 4096,
        clientNonce: "fyko+d2lbbFgONRv9qkxdawL", serverNonce: "3rfcNHYJY1ZVvWVs7j",
        clientFinal: "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
        serverFinal: "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=")

    static let rfc7677 = Vector(
        mechanism: .sha256, preparedPassword: Array("pencil".utf8), salt: "W22ZaJ0SNY7soEsUEjb6gQ==", iterations: 4096,
        clientNonce: "rOprNGfwEbeRWgbNEkqO", serverNonce: "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
        clientFinal: "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
        serverFinal: "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")

    /// MongoDB's auth specification: SCRAM-SHA-1 over the MD5 digest of "user:mongo:pencil".
    static let mongoSHA1 = Vector(
        mechanism: .sha1,
        preparedPassword: (try? SCRAMMechanism.sha1.preparedPassword(user: "user", password: "pencil")) ?? [],
        salt: "rQ9ZY3MntBeuP3E1TDVC4w==", iterations: 10_000,
        clientNonce: "fyko+d2lbbFgONRv9qkxdawL", serverNonce: "Ho+Vgk7qvUOKUwuWLIWg4l/9SraGMHEE",
        clientFinal: "c=biws,r=fyko+d2lbbFgONRv9qkxdawLHo+Vgk7qvUOKUwuWLIWg4l/9SraGMHEE,p=MC2T8BvbmWRckDw8oWl5IVghwCY=",
        serverFinal: "v=UMWeI25JD1yNYZRMpZ4VHvhZ9e0=")

    static func credentials(_ vector: Vector) throws -> SCRAMCredentials {
        try SCRAMCredentials.derive(vector.mechanism, preparedPassword: vector.preparedPassword,
                                    salt: try #require(Base64.decode(vector.salt)), iterationCount: vector.iterations)
    }

    static func machine(_ vector: Vector, skipEmptyExchange: Bool = false) -> SCRAMConversation {
        SCRAMConversation(mechanism: vector.mechanism, serverNonce: vector.serverNonce, secret: Array(repeating: 7, count: 32),
                          skipEmptyExchange: skipEmptyExchange)
    }

    /// Runs `vector` through the server and checks every message it sends.
    static func replay(_ vector: Vector) throws {
        var server = machine(vector)
        #expect(server.receive(Array("n,,n=user,r=\(vector.clientNonce)".utf8)) == .lookUp(user: "user"))
        let serverFirst = "r=\(vector.clientNonce)\(vector.serverNonce),s=\(vector.salt),i=\(vector.iterations)"
        #expect(server.credentialsFound(try credentials(vector)) == .reply(payload: Array(serverFirst.utf8), done: false))
        #expect(server.receive(Array(vector.clientFinal.utf8)) == .reply(payload: Array(vector.serverFinal.utf8), done: false))
        #expect(server.authenticatedUser == nil)
        #expect(server.receive([]) == .reply(payload: [], done: true))
        #expect(server.authenticatedUser == "user")
    }

    @Test func rfc5802SHA1ConversationVerifies() throws { try Self.replay(Self.rfc5802) }

    @Test func rfc7677SHA256ConversationVerifies() throws { try Self.replay(Self.rfc7677) }

    @Test func mongoDBSHA1DigestsUserMongoPassword() throws {
        #expect(String(decoding: Self.mongoSHA1.preparedPassword, as: UTF8.self) == "1c33006ec1ffd90f9cadcbcc0e118200")
        try Self.replay(Self.mongoSHA1)
    }

    @Test func skipEmptyExchangeFinishesWithTheServerSignature() throws {
        var server = Self.machine(Self.rfc7677, skipEmptyExchange: true)
        _ = server.receive(Array("n,,n=user,r=\(Self.rfc7677.clientNonce)".utf8))
        _ = server.credentialsFound(try Self.credentials(Self.rfc7677))
        #expect(server.receive(Array(Self.rfc7677.clientFinal.utf8))
            == .reply(payload: Array(Self.rfc7677.serverFinal.utf8), done: true))
        #expect(server.authenticatedUser == "user")
        #expect(server.receive([]) == .fail(reason: "conversation already finished"))
    }

    @Test func wrongPasswordFailsAtTheProof() throws {
        var server = Self.machine(Self.rfc7677)
        _ = server.receive(Array("n,,n=user,r=\(Self.rfc7677.clientNonce)".utf8))
        var other = try Self.credentials(Self.rfc7677)
        other.storedKey = Self.rfc7677.mechanism.hash(Array("someone else".utf8))
        _ = server.credentialsFound(other)
        #expect(server.receive(Array(Self.rfc7677.clientFinal.utf8)) == .fail(reason: "wrong proof (password)"))
        #expect(server.state == .failed)
        #expect(server.receive([]) == .fail(reason: "conversation already failed"))
    }

    @Test func unknownUserGetsStableMadeUpSaltAndFailsAtTheProof() throws {
        func serverFirst() -> SCRAMConversation.Action {
            var server = Self.machine(Self.rfc7677)
            _ = server.receive(Array("n,,n=ghost,r=abc".utf8))
            return server.credentialsFound(nil)
        }
        let first = serverFirst()
        #expect(first == serverFirst())
        guard case let .reply(payload, done) = first else { Issue.record("no server-first"); return }
        #expect(!done)
        let text = String(decoding: payload, as: UTF8.self)
        #expect(text.hasPrefix("r=abc%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=") && text.hasSuffix(",i=15000"))
        var server = Self.machine(Self.rfc7677)
        _ = server.receive(Array("n,,n=ghost,r=abc".utf8))
        _ = server.credentialsFound(nil)
        let proof = Base64.encode(Array(repeating: 1, count: 32))
        #expect(server.receive(Array("c=biws,r=abc%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=\(proof)".utf8)) == .fail(reason: "unknown user"))
    }

    @Test func wrongNonceAndChannelBindingFail() throws {
        for final in ["c=biws,r=fyko+d2lbbFgONRv9qkxdawLXXXX,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
                      "c=eSws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
                      "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=c2hvcnQ="] {
            var server = Self.machine(Self.rfc5802)
            _ = server.receive(Array("n,,n=user,r=\(Self.rfc5802.clientNonce)".utf8))
            _ = server.credentialsFound(try Self.credentials(Self.rfc5802))
            guard case .fail = server.receive(Array(final.utf8)) else { Issue.record("accepted \(final)"); continue }
        }
    }

    @Test func malformedClientFirstMessagesFail() {
        let bad: [[UInt8]] = [
            [], [0xff, 0xfe, 0x00], Array("garbage".utf8), Array("n,,n=user".utf8), Array("p=tls-unique,,n=u,r=a".utf8),
            Array("n,,r=abc,n=user".utf8), Array("n,,n=,r=abc".utf8), Array("n,,n=us=er,r=abc".utf8),
            Array("n,,n=user,r=a,b".utf8), Array("n,,n=user,r=".utf8), Array("n,,m=x,n=user,r=abc".utf8),
            Array("n,,n=user,r=abc,m=ext".utf8), Array(repeating: UInt8(ascii: "n"), count: 100_000),
        ]
        for payload in bad {
            var server = Self.machine(Self.rfc7677)
            guard case .fail = server.receive(payload) else { Issue.record("accepted \(payload.prefix(40))"); continue }
            #expect(server.state == .failed)
        }
    }

    @Test func messagesOutOfTurnFail() {
        var server = Self.machine(Self.rfc7677)
        #expect(server.credentialsFound(nil) == .fail(reason: "credentials given out of turn"))
        server = Self.machine(Self.rfc7677)
        _ = server.receive(Array("n,,n=user,r=abc".utf8))
        #expect(server.receive(Array("n,,n=user,r=abc".utf8)) == .fail(reason: "message received while looking up credentials"))
    }

    @Test func saslNamesDecodeTheirEscapes() {
        #expect(SCRAMClientFirst.decode(Array("n,,n=a=2Cb=3Dc,r=x".utf8))?.user == "a,b=c")
        #expect(SCRAMClientFirst.decode(Array("y,,n=u,r=x".utf8))?.gs2Header == "y,,")
        #expect(SCRAMClientFirst.decode(Array("n,a=admin,n=u,r=x,z=ext".utf8))?.bare == "n=u,r=x,z=ext")
    }

    @Test func saslPrepKeepsASCIIAndMapsOrRejectsTheRest() throws {
        #expect(try SASLPrep.prepare("pencil") == "pencil")
        #expect(try SASLPrep.prepare("I\u{00AD}X") == "IX")
        #expect(try SASLPrep.prepare("user\u{00A0}x") == "user x")
        #expect(try SASLPrep.prepare("\u{2168}") == "IX")
        #expect(try SASLPrep.prepare("\u{00AA}") == "a")
        #expect(throws: MongoError.self) { try SASLPrep.prepare("a\u{0007}b\u{00E9}") }
        #expect(throws: MongoError.self) { try SASLPrep.prepare("\u{E000}") }
    }

    @Test func storedCredentialsRoundTripThroughTheirDocument() throws {
        let made = try SCRAMCredentials.make(.sha256, user: "u", password: "p")
        #expect(made.salt.count == 28 && made.iterationCount == 15_000)
        #expect(SCRAMCredentials(document: made.document, mechanism: .sha256) == made)
        #expect(SCRAMCredentials(document: made.document, mechanism: .sha1) == nil)
        var weak = made.document
        weak["iterationCount"] = .int32(10)
        #expect(SCRAMCredentials(document: weak, mechanism: .sha256) == nil)
    }
}
