// How a bench connection logs in, as pymongo does: `hello` carrying speculativeAuthenticate
// (SCRAM's client-first with skipEmptyExchange, or X.509's authenticate), then saslContinue
// with the proof and a check of the server's signature — two round trips for SCRAM-SHA-256.
// A server that ignores the speculative part gets saslStart (or authenticate) on its own.

import BSON
import Commands

extension WireConnection {
    /// Logs in with `credentials`.
    ///
    /// - Throws: `BenchError` for a failed login (the server's message and code) or a server
    ///   that could not prove it knows the password.
    func authenticate(_ credentials: Credentials) throws(BenchError) {
        if credentials.mechanism == "MONGODB-X509" { return try authenticateX509(credentials) }
        var client: SCRAMClient
        do {
            client = try SCRAMClient(mechanism: credentials.mechanism, user: credentials.user, password: credentials.password,
                                     nonce: SCRAMClient.randomNonce(), cache: credentials.cache)
        } catch {
            throw BenchError("cannot log in as \(credentials.user): \(error.message)")
        }
        let start: BSONDocument = [
            "saslStart": 1, "mechanism": .string(credentials.mechanism),
            "payload": .binary(BSONBinary(bytes: client.firstMessage)),
            "options": ["skipEmptyExchange": true],
        ]
        var speculative = start
        speculative.append("db", .string(credentials.source))
        let hello = try command(["hello": 1, "helloOk": true, "speculativeAuthenticate": .document(speculative)],
                                database: "admin")
        var reply: BSONDocument
        if case let .document(answer)? = hello["speculativeAuthenticate"] {
            reply = answer
        } else {
            reply = try command(start, database: credentials.source)
        }
        var step = 0
        while true {
            guard case let .binary(payload)? = reply["payload"], let conversation = reply["conversationId"] else {
                throw BenchError("SASL reply without payload or conversationId: \(reply.extendedJSON())")
            }
            let next: [UInt8]
            do {
                switch step {
                case 0: next = try client.finalMessage(serverFirst: payload.bytes)
                case 1: try client.verify(serverFinal: payload.bytes); next = []
                default: next = []
                }
            } catch {
                throw BenchError("login as \(credentials.user) failed: \(error.message)")
            }
            step += 1
            if reply["done"]?.boolValue == true { break }
            guard step < 4 else { throw BenchError("SASL conversation did not finish") }
            reply = try command(["saslContinue": 1, "conversationId": conversation,
                                 "payload": .binary(BSONBinary(bytes: next))], database: credentials.source)
        }
        guard client.isVerified else { throw BenchError("the server finished the login without proving its key") }
    }

    /// MONGODB-X509: the server takes the user from the verified client certificate.
    private func authenticateX509(_ credentials: Credentials) throws(BenchError) {
        var spec: BSONDocument = ["authenticate": 1, "mechanism": "MONGODB-X509"]
        if !credentials.user.isEmpty { spec.append("user", .string(credentials.user)) }
        var speculative = spec
        speculative.append("db", "$external")
        let hello = try command(["hello": 1, "helloOk": true, "speculativeAuthenticate": .document(speculative)],
                                database: "admin")
        if case .document? = hello["speculativeAuthenticate"] { return }
        _ = try command(spec, database: "$external")
    }
}
