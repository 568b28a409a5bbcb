// The four SCRAM messages (RFC 5802 section 7) as values with their encode/decode: the
// client's first and final messages are decoded (strictly: anything off-grammar is nil), the
// server's are encoded. Never throws or traps on client bytes.

import Foundation

/// The most bytes a client SCRAM message may have (drivers send under 200).
let scramMaxMessageBytes = 4096

/// Splits `text` into `key=value` attributes; nil when one lacks its one-letter key and `=`.
private func attributes(_ text: Substring) -> [(key: Character, value: Substring)]? {
    var result: [(key: Character, value: Substring)] = []
    for part in text.split(separator: ",", omittingEmptySubsequences: false) {
        guard part.count >= 2, let key = part.first, key.isASCII, key.isLetter,
              part[part.index(after: part.startIndex)] == "=" else { return nil }
        result.append((key, part.dropFirst(2)))
    }
    return result
}

/// UTF-8 text from a client's bytes, or nil when they are not valid UTF-8, are too long or
/// hold a NUL.
private func clientText(_ bytes: [UInt8]) -> String? {
    guard !bytes.isEmpty, bytes.count <= scramMaxMessageBytes, !bytes.contains(0) else { return nil }
    var iterator = bytes.makeIterator()
    var decoder = UTF8()
    var text = String.UnicodeScalarView()
    while true {
        switch decoder.decode(&iterator) {
        case let .scalarValue(scalar): text.append(scalar)
        case .emptyInput: return String(text)
        case .error: return nil
        }
    }
}

/// A nonce as RFC 5802 allows it: printable ASCII except `,`.
private func isValidNonce(_ nonce: Substring) -> Bool {
    !nonce.isEmpty && nonce.utf8.allSatisfy { $0 >= 0x21 && $0 <= 0x7e && $0 != UInt8(ascii: ",") }
}

/// `n,,n=user,r=nonce`: the client's first message.
struct SCRAMClientFirst: Equatable, Sendable {
    /// The GS2 header (`n,,` or `y,,`, with an optional `a=authzid`), as sent.
    var gs2Header: String
    /// The user name, with `=2C`/`=3D` decoded.
    var user: String
    /// The client's nonce.
    var nonce: String
    /// client-first-message-bare: everything after the GS2 header (part of AuthMessage).
    var bare: String

    /// Decodes a client-first-message; nil when it is malformed or asks for channel binding.
    static func decode(_ bytes: [UInt8]) -> SCRAMClientFirst? {
        guard let text = clientText(bytes) else { return nil }
        // gs2-header = gs2-cbind-flag "," [ authzid ] ","
        let parts = text.split(separator: ",", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "n" || parts[0] == "y",
              parts[1].isEmpty || parts[1].hasPrefix("a=") else { return nil }
        let bare = parts[2]
        guard let fields = attributes(bare), fields.count >= 2,
              fields[0].key == "n", fields[1].key == "r",
              let user = decodeSASLName(fields[0].value), !user.isEmpty,
              isValidNonce(fields[1].value) else { return nil }
        // Mandatory extensions (m=) are not supported; other extensions are ignored.
        guard !fields.dropFirst(2).contains(where: { $0.key == "m" }) else { return nil }
        return SCRAMClientFirst(gs2Header: "\(parts[0]),\(parts[1]),", user: user,
                                nonce: String(fields[1].value), bare: String(bare))
    }

    /// Encodes it (for tests and clients).
    func encode() -> [UInt8] { Array((gs2Header + bare).utf8) }

    /// saslname: `=2C` is `,`, `=3D` is `=`, any other `=` is malformed.
    static func decodeSASLName(_ name: Substring) -> String? {
        var result = ""
        var index = name.startIndex
        while index < name.endIndex {
            let character = name[index]
            if character == "=" {
                let escape = name[index...].prefix(3)
                switch escape {
                case "=2C": result.append(",")
                case "=3D": result.append("=")
                default: return nil
                }
                index = name.index(index, offsetBy: 3)
            } else {
                result.append(character)
                index = name.index(after: index)
            }
        }
        return result
    }
}

/// `r=nonce,s=salt,i=count`: the server's first message.
struct SCRAMServerFirst: Equatable, Sendable {
    /// The client's nonce followed by the server's.
    var nonce: String
    /// The credential's salt.
    var salt: [UInt8]
    /// The credential's iteration count.
    var iterationCount: Int

    /// The message text.
    var text: String { "r=\(nonce),s=\(Base64.encode(salt)),i=\(iterationCount)" }
}

/// `c=biws,r=nonce,p=proof`: the client's final message.
struct SCRAMClientFinal: Equatable, Sendable {
    /// The decoded channel-binding attribute (the GS2 header for `n`/`y`).
    var channelBinding: [UInt8]
    /// The combined nonce.
    var nonce: String
    /// The decoded ClientProof.
    var proof: [UInt8]
    /// client-final-message-without-proof (part of AuthMessage).
    var withoutProof: String

    /// Decodes a client-final-message; nil when it is malformed.
    static func decode(_ bytes: [UInt8]) -> SCRAMClientFinal? {
        guard let text = clientText(bytes), let proofStart = text.range(of: ",p=", options: .backwards)
        else { return nil }
        let withoutProof = text[..<proofStart.lowerBound]
        guard let fields = attributes(withoutProof), fields.count >= 2,
              fields[0].key == "c", fields[1].key == "r",
              let binding = Base64.decode(String(fields[0].value)),
              isValidNonce(fields[1].value),
              let proof = Base64.decode(String(text[proofStart.upperBound...])), !proof.isEmpty,
              !fields.dropFirst(2).contains(where: { $0.key == "m" || $0.key == "p" })
        else { return nil }
        return SCRAMClientFinal(channelBinding: binding, nonce: String(fields[1].value), proof: proof,
                                withoutProof: String(withoutProof))
    }
}

/// `v=signature` or `e=error`: the server's final message.
enum SCRAMServerFinal: Equatable, Sendable {
    /// Success, with the ServerSignature.
    case verifier([UInt8])
    /// Failure, with RFC 5802's server-error value.
    case error(String)

    /// The message text.
    var text: String {
        switch self {
        case let .verifier(signature): "v=\(Base64.encode(signature))"
        case let .error(value): "e=\(value)"
        }
    }
}
