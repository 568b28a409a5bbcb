// SCRAM's cryptography (RFC 5802, RFC 7677) for the two mechanisms MongoDB offers: the hash,
// HMAC and PBKDF2 ("Hi") of each, MongoDB's password preparation, and the stored credentials
// (salt, iteration count, StoredKey, ServerKey) derived from a password. No protocol state here.

import BSON
import Query
import Crypto
import Foundation
import _CryptoExtras

/// A SCRAM mechanism as MongoDB names it.
enum SCRAMMechanism: String, CaseIterable, Sendable {
    /// SCRAM-SHA-1, whose password is MongoDB's MD5 digest of `user:mongo:password`.
    case sha1 = "SCRAM-SHA-1"
    /// SCRAM-SHA-256, whose password is SASLprep'd.
    case sha256 = "SCRAM-SHA-256"

    /// Bytes in one digest (and in StoredKey, ServerKey, proofs and signatures).
    var digestLength: Int {
        switch self {
        case .sha1: Insecure.SHA1.byteCount
        case .sha256: SHA256.byteCount
        }
    }

    /// MongoDB's default `iterationCount` for new credentials (`scramIterationCount`,
    /// `scramSHA256IterationCount`).
    var defaultIterationCount: Int {
        switch self {
        case .sha1: 10_000
        case .sha256: 15_000
        }
    }

    /// The fewest iterations a stored credential may have (RFC 5802's 4096).
    static let minimumIterationCount = 4096
    /// The most iterations a stored credential may have: bounds the work one login costs.
    static let maximumIterationCount = 1_000_000

    /// H(bytes).
    func hash(_ bytes: [UInt8]) -> [UInt8] {
        switch self {
        case .sha1: Array(Insecure.SHA1.hash(data: bytes))
        case .sha256: Array(SHA256.hash(data: bytes))
        }
    }

    /// HMAC(key, message).
    func hmac(key: [UInt8], _ message: [UInt8]) -> [UInt8] {
        let key = SymmetricKey(data: key)
        switch self {
        case .sha1: return Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: key))
        case .sha256: return Array(HMAC<SHA256>.authenticationCode(for: message, using: key))
        }
    }

    /// Hi(password, salt, i): PBKDF2 with this mechanism's HMAC, one digest long.
    ///
    /// - Throws: `InternalError` (1) if the crypto library refuses (it should not).
    func saltedPassword(_ password: [UInt8], salt: [UInt8], iterations: Int) throws(MongoError) -> [UInt8] {
        let function: KDF.Insecure.PBKDF2.HashFunction = self == .sha1 ? .insecureSHA1 : .sha256
        do {
            let key = try KDF.Insecure.PBKDF2.deriveKey(from: password, salt: salt, using: function,
                                                        outputByteCount: digestLength,
                                                        unsafeUncheckedRounds: iterations)
            return key.withUnsafeBytes { Array($0) }
        } catch {
            throw MongoError(.internalError, "PBKDF2 failed: \(error)")
        }
    }

    /// The password as this mechanism feeds it to Hi: for SCRAM-SHA-1 the hex MD5 of
    /// `user:mongo:password` (as MongoDB's drivers and server do), for SCRAM-SHA-256 the
    /// SASLprep'd password.
    ///
    /// - Throws: `BadValue` (2) when SASLprep rejects the password.
    func preparedPassword(user: String, password: String) throws(MongoError) -> [UInt8] {
        switch self {
        case .sha1:
            let digest = Insecure.MD5.hash(data: Array("\(user):mongo:\(password)".utf8))
            return Array(HexText.lowercase(digest).utf8)
        case .sha256:
            return Array(try SASLPrep.prepare(password).utf8)
        }
    }
}

/// What the server keeps of a password for one mechanism (MongoDB's `credentials` entry).
struct SCRAMCredentials: Sendable, Equatable {
    /// PBKDF2 iterations.
    var iterationCount: Int
    /// The salt.
    var salt: [UInt8]
    /// H(ClientKey).
    var storedKey: [UInt8]
    /// HMAC(SaltedPassword, "Server Key").
    var serverKey: [UInt8]

    /// Credentials for an already prepared password (see `SCRAMMechanism.preparedPassword`).
    static func derive(_ mechanism: SCRAMMechanism, preparedPassword: [UInt8], salt: [UInt8],
                       iterationCount: Int) throws(MongoError) -> SCRAMCredentials {
        let salted = try mechanism.saltedPassword(preparedPassword, salt: salt, iterations: iterationCount)
        let clientKey = mechanism.hmac(key: salted, Array("Client Key".utf8))
        return SCRAMCredentials(iterationCount: iterationCount, salt: salt, storedKey: mechanism.hash(clientKey),
                                serverKey: mechanism.hmac(key: salted, Array("Server Key".utf8)))
    }

    /// Fresh credentials for `user`'s `password`: a random salt (16 bytes for SHA-1, 28 for
    /// SHA-256, as MongoDB) and the mechanism's default iteration count.
    static func make(_ mechanism: SCRAMMechanism, user: String, password: String) throws(MongoError) -> SCRAMCredentials {
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<(mechanism == .sha1 ? 16 : 28)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return try derive(mechanism, preparedPassword: try mechanism.preparedPassword(user: user, password: password),
                          salt: salt, iterationCount: mechanism.defaultIterationCount)
    }

    /// `{iterationCount, salt, storedKey, serverKey}` with base64 strings, as MongoDB stores them.
    var document: BSONDocument {
        ["iterationCount": .int32(Int32(clamping: iterationCount)),
         "salt": .string(Base64.encode(salt)),
         "storedKey": .string(Base64.encode(storedKey)),
         "serverKey": .string(Base64.encode(serverKey))]
    }

    /// Reads a stored credential document; `nil` when it is malformed.
    init?(document: BSONDocument, mechanism: SCRAMMechanism) {
        guard let count = document["iterationCount"]?.int64Value,
              count >= Int64(SCRAMMechanism.minimumIterationCount),
              count <= Int64(SCRAMMechanism.maximumIterationCount),
              case let .string(salt)? = document["salt"], let saltBytes = Base64.decode(salt),
              case let .string(stored)? = document["storedKey"], let storedBytes = Base64.decode(stored),
              case let .string(server)? = document["serverKey"], let serverBytes = Base64.decode(server),
              storedBytes.count == mechanism.digestLength, serverBytes.count == mechanism.digestLength
        else { return nil }
        self.init(iterationCount: Int(count), salt: saltBytes, storedKey: storedBytes, serverKey: serverBytes)
    }

    /// Credentials from their parts.
    init(iterationCount: Int, salt: [UInt8], storedKey: [UInt8], serverKey: [UInt8]) {
        self.iterationCount = iterationCount
        self.salt = salt
        self.storedKey = storedKey
        self.serverKey = serverKey
    }
}

/// Standard base64 (RFC 4648 with padding), strict on decode.
enum Base64 {
    /// The base64 text of `bytes`.
    static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
    }

    /// The bytes of `text`, or `nil` when it is not valid padded base64.
    static func decode(_ text: String) -> [UInt8]? {
        guard text.utf8.count % 4 == 0 else { return nil }
        return Data(base64Encoded: text).map { Array($0) }
    }
}

/// Constant-time comparison of two byte strings (the time depends only on the lengths).
func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for index in a.indices { difference |= a[index] ^ b[index] }
    return difference == 0
}
