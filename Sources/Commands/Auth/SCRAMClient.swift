// The client side of one SCRAM-SHA-1 or SCRAM-SHA-256 conversation, as drivers run it
// (tessera bench's wire connections use it): client-first, then the proof for the server's
// salt and nonce, then the check of the server's signature. Same mechanisms, message types
// and key derivation as the server's SCRAMConversation; no I/O.

public import BSON
import Synchronization

/// One client-side SCRAM conversation: ``firstMessage``, then ``finalMessage(serverFirst:)``,
/// then ``verify(serverFinal:)``.
public struct SCRAMClient: Sendable {
    /// Where the conversation is.
    private enum State: Sendable {
        /// client-first-message sent; waiting for server-first-message.
        case awaitingServerFirst
        /// client-final-message sent; the ServerSignature the server must prove.
        case awaitingServerFinal(serverSignature: [UInt8])
        /// The server proved it knows the password.
        case verified
        /// A message was wrong; nothing more is accepted.
        case failed
    }

    private let mechanism: SCRAMMechanism
    private let user: String
    private let preparedPassword: [UInt8]
    private let nonce: String
    private let cache: SCRAMClientCache?
    private var state = State.awaitingServerFirst

    /// A conversation for `user` with `password`. `mechanism` is `SCRAM-SHA-1` or
    /// `SCRAM-SHA-256`; `nonce` is printable ASCII without `,` (random in production).
    /// `cache`, when given, keeps salted passwords across conversations as drivers do, so a
    /// new connection costs the server's iteration count once per process, not per login.
    ///
    /// - Throws: `MechanismUnavailable` (334) for another mechanism, `BadValue` (2) for a
    ///   password SASLprep rejects or a malformed nonce.
    public init(mechanism name: String, user: String, password: String, nonce: String,
                cache: SCRAMClientCache? = nil) throws(MongoError) {
        guard let mechanism = SCRAMMechanism(rawValue: name) else {
            throw MongoError(MongoError.Code(334, "MechanismUnavailable"), "unknown SCRAM mechanism \(name)")
        }
        guard !nonce.isEmpty, nonce.utf8.allSatisfy({ $0 >= 0x21 && $0 <= 0x7e && $0 != UInt8(ascii: ",") }) else {
            throw MongoError(.badValue, "a SCRAM nonce is printable ASCII without ','")
        }
        self.mechanism = mechanism
        self.user = user
        preparedPassword = try mechanism.preparedPassword(user: user, password: password)
        self.nonce = nonce
        self.cache = cache
    }

    /// A fresh nonce: 24 random bytes in base64, as drivers make it.
    public static func randomNonce() -> String {
        var generator = SystemRandomNumberGenerator()
        return Base64.encode((0..<24).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    /// True once the server's signature checked out.
    public var isVerified: Bool {
        if case .verified = state { return true }
        return false
    }

    /// client-first-message-bare: `n=user,r=nonce`.
    private var firstBare: String { "n=\(Self.encodeSASLName(user)),r=\(nonce)" }

    /// client-first-message: `n,,n=user,r=nonce`.
    public var firstMessage: [UInt8] { Array("n,,\(firstBare)".utf8) }

    /// client-final-message for the server's first message: the proof that this client
    /// knows the password.
    ///
    /// - Throws: `AuthenticationFailed` (18) when the server's message is malformed, does
    ///   not extend this client's nonce, or has too few iterations.
    public mutating func finalMessage(serverFirst payload: [UInt8]) throws(MongoError) -> [UInt8] {
        guard case .awaitingServerFirst = state else { throw fail("server-first-message out of turn") }
        let text = String(decoding: payload, as: UTF8.self)
        guard let serverFirst = SCRAMServerFirst.decode(text) else { throw fail("malformed server-first-message") }
        guard serverFirst.nonce.hasPrefix(nonce), serverFirst.nonce.count > nonce.count else {
            throw fail("the server's nonce does not extend the client's")
        }
        guard serverFirst.iterationCount >= SCRAMMechanism.minimumIterationCount,
              serverFirst.iterationCount <= SCRAMMechanism.maximumIterationCount else {
            throw fail("iteration count \(serverFirst.iterationCount) out of range")
        }
        let salted = try saltedPassword(salt: serverFirst.salt, iterations: serverFirst.iterationCount)
        let withoutProof = "c=\(Base64.encode(Array("n,,".utf8))),r=\(serverFirst.nonce)"
        let authMessage = Array("\(firstBare),\(text),\(withoutProof)".utf8)
        let clientKey = mechanism.hmac(key: salted, Array("Client Key".utf8))
        let clientSignature = mechanism.hmac(key: mechanism.hash(clientKey), authMessage)
        let proof = zip(clientKey, clientSignature).map { $0 ^ $1 }
        let serverKey = mechanism.hmac(key: salted, Array("Server Key".utf8))
        state = .awaitingServerFinal(serverSignature: mechanism.hmac(key: serverKey, authMessage))
        return Array("\(withoutProof),p=\(Base64.encode(proof))".utf8)
    }

    /// Checks server-final-message (`v=ServerSignature`).
    ///
    /// - Throws: `AuthenticationFailed` (18) for an error, a malformed message or a wrong
    ///   signature (a server that does not know the password).
    public mutating func verify(serverFinal payload: [UInt8]) throws(MongoError) {
        guard case let .awaitingServerFinal(expected) = state else { throw fail("server-final-message out of turn") }
        let text = String(decoding: payload, as: UTF8.self)
        if text.hasPrefix("e=") { throw fail("the server answered \(text.dropFirst(2))") }
        guard text.hasPrefix("v="), let signature = Base64.decode(String(text.dropFirst(2))),
              constantTimeEqual(signature, expected) else {
            throw fail("the server's signature does not match")
        }
        state = .verified
    }

    private func saltedPassword(salt: [UInt8], iterations: Int) throws(MongoError) -> [UInt8] {
        let key = SCRAMClientCache.Key(mechanism: mechanism.rawValue, password: preparedPassword, salt: salt,
                                       iterations: iterations)
        if let cached = cache?.salted(key) { return cached }
        let salted = try mechanism.saltedPassword(preparedPassword, salt: salt, iterations: iterations)
        cache?.remember(salted, for: key)
        return salted
    }

    private mutating func fail(_ reason: String) -> MongoError {
        state = .failed
        return MongoError(AuthCommands.authenticationFailed().code, "SCRAM: \(reason)")
    }

    /// saslname: `,` as `=2C` and `=` as `=3D` (the inverse of the server's decode).
    static func encodeSASLName(_ name: String) -> String {
        var encoded = ""
        for character in name {
            switch character {
            case ",": encoded += "=2C"
            case "=": encoded += "=3D"
            default: encoded.append(character)
            }
        }
        return encoded
    }
}

/// Salted passwords by mechanism, password, salt and iteration count, shared by the
/// conversations of one process (as drivers cache them). Sendable: the table is behind a Mutex.
public final class SCRAMClientCache: Sendable {
    struct Key: Hashable, Sendable {
        var mechanism: String
        var password: [UInt8]
        var salt: [UInt8]
        var iterations: Int
    }

    private let table = Mutex<[Key: [UInt8]]>([:])

    /// An empty cache.
    public init() {}

    /// How many salted passwords it holds.
    var count: Int { table.withLock { $0.count } }

    func salted(_ key: Key) -> [UInt8]? { table.withLock { $0[key] } }

    func remember(_ salted: [UInt8], for key: Key) {
        table.withLock { table in
            if table.count >= 64 { table.removeAll() }
            table[key] = salted
        }
    }
}

extension SCRAMServerFirst {
    /// Decodes server-first-message (`r=nonce,s=salt,i=count`, extensions ignored); nil when
    /// it is malformed or asks for a mandatory extension.
    static func decode(_ text: String) -> SCRAMServerFirst? {
        let fields = text.split(separator: ",", omittingEmptySubsequences: false)
        guard fields.count >= 3, fields[0].hasPrefix("r="), fields[1].hasPrefix("s="), fields[2].hasPrefix("i="),
              !fields.contains(where: { $0.hasPrefix("m=") }),
              let salt = Base64.decode(String(fields[1].dropFirst(2))), !salt.isEmpty,
              let iterations = Int(fields[2].dropFirst(2))
        else { return nil }
        let nonce = String(fields[0].dropFirst(2))
        guard !nonce.isEmpty else { return nil }
        return SCRAMServerFirst(nonce: nonce, salt: salt, iterationCount: iterations)
    }
}
