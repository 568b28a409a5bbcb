// The client side of SCRAM without a socket: with RFC 7677's nonces (and those of MongoDB's
// SCRAM-SHA-1 vector) it must send exactly the vector's client-final-message and accept its
// server signature; against the
// server's own state machine it logs in with the right password and fails with a wrong one;
// a server that does not prove the password, or plays with nonces and iterations, is refused.

import BSON
@testable import Commands
import Documents
import Testing

@Suite struct SCRAMClientTests {
    typealias Vector = SCRAMTests.Vector

    /// The server-first-message of `vector`.
    static func serverFirst(_ vector: Vector) -> [UInt8] {
        Array("r=\(vector.clientNonce)\(vector.serverNonce),s=\(vector.salt),i=\(vector.iterations)".utf8)
    }

    /// Replays `vector` from the client's side (the RFC vectors' password is "pencil").
    static func replay(_ vector: Vector) throws {
        var client = try SCRAMClient(mechanism: vector.mechanism.rawValue, user: "user", password: "pencil",
                                     nonce: vector.clientNonce)
        #expect(client.firstMessage == Array("n,,n=user,r=\(vector.clientNonce)".utf8))
        let final = try client.finalMessage(serverFirst: serverFirst(vector))
        #expect(String(decoding: final, as: UTF8.self) == vector.clientFinal)
        #expect(!client.isVerified)
        try client.verify(serverFinal: Array(vector.serverFinal.utf8))
        #expect(client.isVerified)
    }

    /// MongoDB's SCRAM-SHA-1 hashes `user:mongo:password` first, so RFC 5802's own vector
    /// (the raw password) does not apply to its clients; the auth specification's does.
    @Test func mongoDBSHA1ClientSendsTheAuthSpecificationsProof() throws { try Self.replay(SCRAMTests.mongoSHA1) }

    @Test func rfc7677SHA256ClientSendsTheRFCsProof() throws { try Self.replay(SCRAMTests.rfc7677) }

    /// A client and the server's machine talking, the server holding credentials for `stored`.
    static func converse(_ mechanism: SCRAMMechanism, user: String, password: String, stored: String,
                         cache: SCRAMClientCache? = nil,
                         credentials: SCRAMCredentials? = nil) throws -> (client: SCRAMClient, server: SCRAMConversation, failed: Bool) {
        var client = try SCRAMClient(mechanism: mechanism.rawValue, user: user, password: password,
                                     nonce: SCRAMClient.randomNonce(), cache: cache)
        var server = SCRAMConversation(mechanism: mechanism, serverNonce: SCRAMClient.randomNonce(),
                                       secret: Array(repeating: 3, count: 32), skipEmptyExchange: true)
        guard case .lookUp = server.receive(client.firstMessage) else { return (client, server, true) }
        let credentials = try credentials ?? SCRAMCredentials.make(mechanism, user: user, password: stored)
        guard case let .reply(serverFirst, false) = server.credentialsFound(credentials) else { return (client, server, true) }
        let final = try client.finalMessage(serverFirst: serverFirst)
        guard case let .reply(serverFinal, true) = server.receive(final) else { return (client, server, true) }
        try client.verify(serverFinal: serverFinal)
        return (client, server, false)
    }

    @Test(arguments: SCRAMMechanism.allCases)
    func clientLogsInToTheServerMachine(_ mechanism: SCRAMMechanism) throws {
        let (client, server, failed) = try Self.converse(mechanism, user: "ann,=x", password: "pass word", stored: "pass word")
        #expect(!failed)
        #expect(client.isVerified)
        #expect(server.authenticatedUser == "ann,=x")
    }

    @Test(arguments: SCRAMMechanism.allCases)
    func wrongPasswordIsRefusedByTheServer(_ mechanism: SCRAMMechanism) throws {
        let (client, server, failed) = try Self.converse(mechanism, user: "ann", password: "guess", stored: "secret")
        #expect(failed)
        #expect(!client.isVerified)
        #expect(server.authenticatedUser == nil)
    }

    @Test func cachedSaltedPasswordStillLogsIn() throws {
        let cache = SCRAMClientCache()
        // One stored credential (one salt): the second login reuses the first's salted password.
        let stored = try SCRAMCredentials.make(.sha256, user: "ann", password: "secret")
        for _ in 0..<2 {
            let (client, _, failed) = try Self.converse(.sha256, user: "ann", password: "secret", stored: "secret",
                                                        cache: cache, credentials: stored)
            #expect(!failed && client.isVerified)
        }
        #expect(cache.count == 1)
        // A new salt (the password was changed) is a new entry.
        let (client, _, failed) = try Self.converse(.sha256, user: "ann", password: "secret", stored: "secret", cache: cache)
        #expect(!failed && client.isVerified)
        #expect(cache.count == 2)
    }

    @Test func serverThatDoesNotKnowThePasswordIsRefused() throws {
        let vector = SCRAMTests.rfc7677
        var client = try SCRAMClient(mechanism: vector.mechanism.rawValue, user: "user", password: "pencil",
                                     nonce: vector.clientNonce)
        _ = try client.finalMessage(serverFirst: Self.serverFirst(vector))
        #expect(throws: MongoError.self) { try client.verify(serverFinal: Array("v=AAAA".utf8)) }
        #expect(!client.isVerified)
    }

    @Test func serverErrorAnswerFails() throws {
        let vector = SCRAMTests.rfc7677
        var client = try SCRAMClient(mechanism: vector.mechanism.rawValue, user: "user", password: "pencil",
                                     nonce: vector.clientNonce)
        _ = try client.finalMessage(serverFirst: Self.serverFirst(vector))
        let error = #expect(throws: MongoError.self) { try client.verify(serverFinal: Array("e=invalid-proof".utf8)) }
        #expect(error?.code.rawValue == 18)
    }

    @Test func serverFirstMessagesThatBreakTheRulesFail() throws {
        let bad = [
            "r=someoneelse123,s=QSXCR+Q6sek8bf92,i=4096",  // does not extend the client's nonce
            "r=abc,s=QSXCR+Q6sek8bf92,i=4096",  // only the client's nonce
            "r=abcdef,s=QSXCR+Q6sek8bf92,i=4095",  // too few iterations
            "r=abcdef,s=QSXCR+Q6sek8bf92,i=x",
            "r=abcdef,s=not base64!,i=4096",
            "m=ext,r=abcdef,s=QSXCR+Q6sek8bf92,i=4096",
            "r=abcdef,s=QSXCR+Q6sek8bf92",
        ]
        for message in bad {
            var client = try SCRAMClient(mechanism: "SCRAM-SHA-256", user: "user", password: "pencil", nonce: "abc")
            #expect(throws: MongoError.self, "\(message)") { try client.finalMessage(serverFirst: Array(message.utf8)) }
        }
    }

    @Test func messagesOutOfTurnAndBadArgumentsFail() throws {
        var client = try SCRAMClient(mechanism: "SCRAM-SHA-1", user: "user", password: "pencil", nonce: "abc")
        #expect(throws: MongoError.self) { try client.verify(serverFinal: Array("v=AAAA".utf8)) }
        #expect(throws: MongoError.self) { try SCRAMClient(mechanism: "PLAIN", user: "u", password: "p", nonce: "abc") }
        #expect(throws: MongoError.self) { try SCRAMClient(mechanism: "SCRAM-SHA-256", user: "u", password: "p", nonce: "a,b") }
    }

    @Test func saslNamesEncodeWhatTheServerDecodes() {
        for name in ["plain", "a,b", "x=y", "=2C", ",,==", "é,ü"] {
            let encoded = SCRAMClient.encodeSASLName(name)
            #expect(!encoded.contains(","))
            #expect(SCRAMClientFirst.decodeSASLName(Substring(encoded)) == name)
        }
    }
}
