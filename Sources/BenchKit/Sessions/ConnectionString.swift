// The part of MongoDB's connection-string format `tessera bench --uri` takes: one host,
// user and password (percent-encoded), the default database, and the options authSource,
// authMechanism (SCRAM-SHA-256, SCRAM-SHA-1, MONGODB-X509) and tls/ssl. What a connection
// authenticates as travels in Credentials, with the salted-password cache its logins share.

import Commands

/// A parsed `mongodb://[user:password@]host[:port][/database][?options]`.
public struct ConnectionString: Sendable, Equatable {
    /// The host: an IPv4 address or `localhost`.
    public var host: String
    /// The port (27017 when absent).
    public var port: Int
    /// The user, percent-decoded.
    public var user: String?
    /// The password, percent-decoded.
    public var password: String?
    /// `authSource`, else the database in the path, else `admin` (`$external` for X.509).
    public var authSource: String
    /// `authMechanism` (SCRAM-SHA-256 when absent).
    public var authMechanism: String
    /// `tls=true` or `ssl=true`.
    public var tls: Bool

    /// The mechanisms the bench's client speaks.
    public static let mechanisms = ["SCRAM-SHA-256", "SCRAM-SHA-1", "MONGODB-X509"]

    /// Parses `text`.
    ///
    /// - Throws: `BenchError` naming what is malformed or unsupported.
    public init(parsing text: String) throws(BenchError) {
        guard text.hasPrefix("mongodb://") else { throw BenchError("a connection string starts with mongodb://") }
        var rest = Substring(text.dropFirst("mongodb://".count))
        var options: [String: String] = [:]
        if let question = rest.firstIndex(of: "?") {
            for pair in rest[rest.index(after: question)...].split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2 else { throw BenchError("connection string option '\(pair)' has no value") }
                options[String(parts[0]).lowercased()] = try Self.percentDecoded(parts[1])
            }
            rest = rest[..<question]
        }
        var database: String?
        if let slash = rest.firstIndex(of: "/") {
            let path = rest[rest.index(after: slash)...]
            if !path.isEmpty { database = try Self.percentDecoded(path) }
            rest = rest[..<slash]
        }
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            let parts = userInfo.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            user = try Self.percentDecoded(parts[0])
            password = parts.count == 2 ? try Self.percentDecoded(parts[1]) : nil
            rest = rest[rest.index(after: at)...]
        }
        guard !rest.contains(",") else { throw BenchError("the bench connects to one host, not a list: \(rest)") }
        let hostPort = rest.split(separator: ":", omittingEmptySubsequences: false)
        guard hostPort.count <= 2, let name = hostPort.first, !name.isEmpty else {
            throw BenchError("connection string host '\(rest)' is not host[:port]")
        }
        host = String(name)
        if hostPort.count == 2 {
            guard let number = Int(hostPort[1]), (1...65535).contains(number) else {
                throw BenchError("connection string port '\(hostPort[1])' is not a port number")
            }
            port = number
        } else {
            port = 27017
        }
        authMechanism = options["authmechanism"] ?? "SCRAM-SHA-256"
        guard Self.mechanisms.contains(authMechanism) else {
            throw BenchError("authMechanism \(authMechanism) is not one the bench speaks: \(Self.mechanisms.joined(separator: ", "))")
        }
        authSource = options["authsource"] ?? (authMechanism == "MONGODB-X509" ? "$external" : database ?? "admin")
        tls = options["tls"] == "true" || options["ssl"] == "true"
        if authMechanism != "MONGODB-X509", user != nil, password == nil {
            throw BenchError("connection string names user \(user ?? "") without a password")
        }
    }

    /// What connections made from this string authenticate with; nil when they do not.
    public var credentials: Credentials? {
        if authMechanism == "MONGODB-X509" { return Credentials(user: user ?? "", password: "", source: authSource, mechanism: authMechanism) }
        guard let user, let password else { return nil }
        return Credentials(user: user, password: password, source: authSource, mechanism: authMechanism)
    }

    /// `%XX` escapes decoded (the text must be valid UTF-8 after decoding).
    static func percentDecoded(_ text: Substring) throws(BenchError) -> String {
        var bytes: [UInt8] = []
        var index = text.utf8.startIndex
        let utf8 = text.utf8
        while index < utf8.endIndex {
            let byte = utf8[index]
            if byte == UInt8(ascii: "%") {
                let digits = utf8[utf8.index(after: index)...].prefix(2)
                guard digits.count == 2, let value = UInt8(String(decoding: digits, as: UTF8.self), radix: 16) else {
                    throw BenchError("bad percent escape in '\(text)'")
                }
                bytes.append(value)
                index = utf8.index(index, offsetBy: 3)
            } else {
                bytes.append(byte)
                index = utf8.index(after: index)
            }
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else { throw BenchError("'\(text)' is not UTF-8 once decoded") }
        return decoded
    }
}

/// Who a bench connection logs in as. Every connection made with one value shares its
/// salted-password cache, as a driver's pool does.
public struct Credentials: Sendable {
    /// The user (for MONGODB-X509, the certificate's subject or empty to let the server take it).
    public var user: String
    /// The password (unused by MONGODB-X509).
    public var password: String
    /// The authentication database.
    public var source: String
    /// SCRAM-SHA-256, SCRAM-SHA-1 or MONGODB-X509.
    public var mechanism: String
    /// Salted passwords already computed.
    let cache = SCRAMClientCache()

    /// Credentials from their parts.
    public init(user: String, password: String, source: String, mechanism: String) {
        self.user = user
        self.password = password
        self.source = source
        self.mechanism = mechanism
    }
}

extension ConnectionString: CustomStringConvertible {
    /// The string without the password.
    public var description: String {
        "mongodb://\(user.map { "\($0):***@" } ?? "")\(host):\(port)/?authSource=\(authSource)&authMechanism=\(authMechanism)\(tls ? "&tls=true" : "")"
    }
}
