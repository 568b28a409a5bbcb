// The server side of one SCRAM conversation as an explicit state machine: it takes the
// client's payloads, asks for the user's stored credentials, and answers with the payload to
// send or a failure. No I/O, no storage and no clock: every transition is unit-tested.

import BSON

/// One SCRAM-SHA-1 or SCRAM-SHA-256 conversation, server side.
///
/// Drive it with ``receive(_:)``; on `.lookUp(user:)` answer with ``credentialsFound(_:)``.
/// An unknown user gets credentials made up from a server secret, so the conversation does
/// the same work and fails at the same step as a wrong password (no user enumeration).
struct SCRAMConversation: Sendable {
    /// Where the conversation is.
    enum State: Equatable, Sendable {
        /// Waiting for client-first-message.
        case awaitingClientFirst
        /// client-first-message read; waiting for the user's credentials.
        case awaitingCredentials(SCRAMClientFirst)
        /// server-first-message sent; waiting for client-final-message.
        case awaitingClientFinal(Exchange)
        /// server-final-message sent; waiting for the empty final exchange.
        case awaitingEmptyExchange(user: String)
        /// Authenticated as `user`.
        case succeeded(user: String)
        /// Failed; every further message fails.
        case failed
    }

    /// What the first half of the conversation established.
    struct Exchange: Equatable, Sendable {
        var clientFirst: SCRAMClientFirst
        var serverFirst: SCRAMServerFirst
        var credentials: SCRAMCredentials
        /// False when the credentials were made up for an unknown user.
        var userExists: Bool
    }

    /// What the caller does next.
    enum Action: Equatable, Sendable {
        /// Find `user`'s stored credentials for this mechanism and pass them to
        /// ``credentialsFound(_:)`` (nil when there is no such user or credential).
        case lookUp(user: String)
        /// Send `payload`; `done` says whether the conversation is over (then the user is
        /// ``authenticatedUser``).
        case reply(payload: [UInt8], done: Bool)
        /// Answer AuthenticationFailed (18); `reason` is for the log only.
        case fail(reason: String)
    }

    /// The mechanism.
    let mechanism: SCRAMMechanism
    /// Whether the client asked to skip the empty final exchange.
    let skipEmptyExchange: Bool
    private let serverNonce: String
    private let secret: [UInt8]
    /// The current state.
    private(set) var state: State = .awaitingClientFirst

    /// A conversation; `serverNonce` is random in production (fixed in tests), `secret` is
    /// the process's key for made-up credentials.
    init(mechanism: SCRAMMechanism, serverNonce: String, secret: [UInt8], skipEmptyExchange: Bool = false) {
        self.mechanism = mechanism
        self.serverNonce = serverNonce
        self.secret = secret
        self.skipEmptyExchange = skipEmptyExchange
    }

    /// The authenticated user once the conversation succeeded.
    var authenticatedUser: String? {
        if case let .succeeded(user) = state { return user }
        return nil
    }

    /// The user the client named, once known.
    var userName: String? {
        switch state {
        case let .awaitingCredentials(first): first.user
        case let .awaitingClientFinal(exchange): exchange.clientFirst.user
        case let .awaitingEmptyExchange(user), let .succeeded(user): user
        case .awaitingClientFirst, .failed: nil
        }
    }

    /// Takes the client's next payload.
    mutating func receive(_ payload: [UInt8]) -> Action {
        switch state {
        case .awaitingClientFirst:
            guard var first = SCRAMClientFirst.decode(payload) else { return fail("malformed client-first-message") }
            if mechanism == .sha256 {
                guard let prepared = try? SASLPrep.prepare(first.user) else { return fail("user name fails SASLprep") }
                first.user = prepared
            }
            state = .awaitingCredentials(first)
            return .lookUp(user: first.user)
        case .awaitingCredentials:
            return fail("message received while looking up credentials")
        case let .awaitingClientFinal(exchange):
            return finish(exchange, payload)
        case let .awaitingEmptyExchange(user):
            guard payload.isEmpty else { return fail("final exchange is not empty") }
            state = .succeeded(user: user)
            return .reply(payload: [], done: true)
        case .succeeded:
            return fail("conversation already finished")
        case .failed:
            return fail("conversation already failed")
        }
    }

    /// Continues after `.lookUp`: sends server-first-message.
    mutating func credentialsFound(_ found: SCRAMCredentials?) -> Action {
        guard case let .awaitingCredentials(first) = state else { return fail("credentials given out of turn") }
        let credentials = found ?? madeUpCredentials(for: first.user)
        let serverFirst = SCRAMServerFirst(nonce: first.nonce + serverNonce, salt: credentials.salt,
                                           iterationCount: credentials.iterationCount)
        state = .awaitingClientFinal(Exchange(clientFirst: first, serverFirst: serverFirst,
                                              credentials: credentials, userExists: found != nil))
        return .reply(payload: Array(serverFirst.text.utf8), done: false)
    }

    private mutating func finish(_ exchange: Exchange, _ payload: [UInt8]) -> Action {
        guard let final = SCRAMClientFinal.decode(payload) else { return fail("malformed client-final-message") }
        guard final.nonce == exchange.serverFirst.nonce else { return fail("nonce mismatch") }
        guard final.channelBinding == Array(exchange.clientFirst.gs2Header.utf8) else {
            return fail("channel binding mismatch")
        }
        guard final.proof.count == mechanism.digestLength else { return fail("proof has the wrong length") }
        let authMessage = Array("\(exchange.clientFirst.bare),\(exchange.serverFirst.text),\(final.withoutProof)".utf8)
        let clientSignature = mechanism.hmac(key: exchange.credentials.storedKey, authMessage)
        let clientKey = zip(final.proof, clientSignature).map { $0 ^ $1 }
        let proofMatches = constantTimeEqual(mechanism.hash(clientKey), exchange.credentials.storedKey)
        guard proofMatches, exchange.userExists else {
            return fail(exchange.userExists ? "wrong proof (password)" : "unknown user")
        }
        let serverSignature = mechanism.hmac(key: exchange.credentials.serverKey, authMessage)
        let user = exchange.clientFirst.user
        state = skipEmptyExchange ? .succeeded(user: user) : .awaitingEmptyExchange(user: user)
        return .reply(payload: Array(SCRAMServerFinal.verifier(serverSignature).text.utf8), done: skipEmptyExchange)
    }

    /// Deterministic credentials for a user who does not exist: same salt every time for the
    /// same name, keys nobody can match.
    private func madeUpCredentials(for user: String) -> SCRAMCredentials {
        let seed = mechanism.hmac(key: secret, Array("\(mechanism.rawValue)\u{0}\(user)".utf8))
        let saltLength = mechanism == .sha1 ? 16 : 28
        var salt: [UInt8] = []
        var block: UInt8 = 0
        while salt.count < saltLength {
            salt += mechanism.hmac(key: seed, [UInt8(ascii: "s"), block])
            block &+= 1
        }
        return SCRAMCredentials(iterationCount: mechanism.defaultIterationCount, salt: Array(salt.prefix(saltLength)),
                                storedKey: mechanism.hmac(key: seed, Array("stored".utf8)),
                                serverKey: mechanism.hmac(key: seed, Array("server".utf8)))
    }

    private mutating func fail(_ reason: String) -> Action {
        state = .failed
        return .fail(reason: reason)
    }
}
