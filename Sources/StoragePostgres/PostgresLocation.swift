// PostgresLocation: where a PostgreSQL-protocol database is, parsed from the URI that
// `tessera serve --storage` takes (`postgresql://USER[:PASSWORD]@HOST:PORT[,HOST:PORT...]/DB
// [?host=/socket/dir][&target_session_attrs=read-write][&statement_timeout=MS][&lock_timeout=MS][&connect_timeout=S]
// [&sslmode=MODE][&sslrootcert=/path.pem]`).
// Owns the parsing, the hosts to try in order and the secret-free form used in messages;
// opens nothing.
public import Storage

/// A PostgreSQL-protocol server and database: host and port (TCP) or a socket directory,
/// user, optional password and database name.
public struct PostgresLocation: Sendable, Hashable, CustomStringConvertible {
    /// The host name or address (for messages also when a socket directory is used).
    public var host: String
    /// The TCP port (also names the Unix socket file, `.s.PGSQL.<port>`).
    public var port: Int
    /// The user to connect as.
    public var user: String
    /// The password, if the server asks for one.
    public var password: String?
    /// The database name.
    public var database: String
    /// A directory holding the server's Unix socket (`?host=/dir`); `nil` for TCP.
    public var socketDirectory: String?
    /// Further servers after `host:port`, tried in order when it cannot be used (libpq's
    /// multi-host URIs: a primary and its standbys).
    public var fallbackHosts: [PostgresHostPort] = []
    /// Which servers a connection may be kept on (`target_session_attrs`).
    public var targetSessionAttributes: PostgresTargetSessionAttributes = .any
    /// How long statements and lock waits may take (`statement_timeout`, `lock_timeout`).
    public var timeouts = PostgresTimeouts()
    /// Whether TCP connections use TLS and what they check (`sslmode`, `sslrootcert`).
    public var tls = PostgresTLS()

    /// A location from its parts.
    public init(host: String, port: Int = 5432, user: String, password: String? = nil, database: String,
                socketDirectory: String? = nil) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.socketDirectory = socketDirectory
    }

    /// Whether `text` names a PostgreSQL-protocol database (`postgresql://` or `postgres://`).
    public static func isPostgresURI(_ text: String) -> Bool {
        text.hasPrefix("postgresql://") || text.hasPrefix("postgres://")
    }

    /// Parses `postgresql://USER[:PASSWORD]@HOST[:PORT][,HOST[:PORT]...]/DB[?host=/socket/dir]
    /// [&target_session_attrs=any|read-write|primary][&sslmode=disable|prefer|require|verify-ca|verify-full]
    /// [&sslrootcert=/path.pem]` and the timeouts (other query options are ignored).
    ///
    /// - Throws: `StorageError` (`.invalidArgument`) naming what is missing or malformed.
    public init(uri: String) throws(StorageError) {
        func refuse(_ reason: String) -> StorageError {
            StorageError(.open, path: nil, status: "invalid PostgreSQL URI (\(reason)); expected postgresql://USER@HOST:PORT/DB",
                         code: .invalidArgument)
        }
        guard let schemeEnd = uri.range(of: "://"), Self.isPostgresURI(uri) else { throw refuse("scheme") }
        var rest = Substring(uri[schemeEnd.upperBound...])
        var query: Substring = ""
        if let mark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        guard let slash = rest.firstIndex(of: "/") else { throw refuse("no database") }
        let database = String(rest[rest.index(after: slash)...])
        let authority = rest[..<slash]
        guard !database.isEmpty else { throw refuse("no database") }
        guard let at = authority.lastIndex(of: "@") else { throw refuse("no user") }
        let credentials = authority[..<at]
        let hostPort = authority[authority.index(after: at)...]
        var user = String(credentials)
        var password: String?
        if let colon = credentials.firstIndex(of: ":") {
            user = String(credentials[..<colon])
            password = String(credentials[credentials.index(after: colon)...])
        }
        guard !user.isEmpty else { throw refuse("no user") }
        var endpoints: [PostgresHostPort] = []
        for item in hostPort.split(separator: ",", omittingEmptySubsequences: false) {
            var host = String(item)
            var port = 5432
            if let colon = item.lastIndex(of: ":") {
                host = String(item[..<colon])
                guard let parsed = Int(item[item.index(after: colon)...]), (1 ... 65535).contains(parsed) else {
                    throw refuse("bad port")
                }
                port = parsed
            }
            endpoints.append(PostgresHostPort(host: host, port: port))
        }
        guard let first = endpoints.first else { throw refuse("no host") }
        if endpoints.count > 1, endpoints.contains(where: { $0.host.isEmpty }) { throw refuse("empty host in host list") }
        var attributes = PostgresTargetSessionAttributes.any
        var socketDirectory: String?
        var timeouts = PostgresTimeouts()
        var tls = PostgresTLS()
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else { continue }
            if parts[0] == "host", parts[1].hasPrefix("/") { socketDirectory = String(parts[1]) }
            if parts[0] == "target_session_attrs" {
                guard let parsed = PostgresTargetSessionAttributes(rawValue: String(parts[1])) else {
                    throw refuse("target_session_attrs must be any, read-write or primary")
                }
                attributes = parsed
            }
            if parts[0] == "statement_timeout" {
                guard let bound = PostgresTimeouts.parse(parts[1]) else {
                    throw refuse("statement_timeout must be a whole number of milliseconds from 1 to 86400000")
                }
                timeouts.statement = bound
            }
            if parts[0] == "connect_timeout" {
                guard let bound = PostgresTimeouts.parseSeconds(parts[1]) else {
                    throw refuse("connect_timeout must be a whole number of seconds from 1 to 86400")
                }
                timeouts.connect = bound
            }
            if parts[0] == "sslmode" {
                guard let mode = PostgresTLSMode(rawValue: String(parts[1])) else {
                    throw refuse("sslmode must be one of disable, prefer, require, verify-ca, verify-full")
                }
                tls.mode = mode
            }
            if parts[0] == "sslrootcert" {
                guard !parts[1].isEmpty else { throw refuse("sslrootcert must name a file") }
                tls.rootCertificatePath = String(parts[1])
            }
            if parts[0] == "lock_timeout" {
                guard let bound = PostgresTimeouts.parse(parts[1]) else {
                    throw refuse("lock_timeout must be a whole number of milliseconds from 1 to 86400000")
                }
                timeouts.commitLock = bound
            }
        }
        guard !first.host.isEmpty || socketDirectory != nil else { throw refuse("no host") }
        self.init(host: first.host.isEmpty ? "localhost" : first.host, port: first.port, user: user, password: password,
                  database: database, socketDirectory: socketDirectory)
        fallbackHosts = Array(endpoints.dropFirst())
        targetSessionAttributes = attributes
        self.timeouts = timeouts
        self.tls = tls
    }

    /// Every server to try, in order: `host:port`, then the fallbacks.
    public var hosts: [PostgresHostPort] {
        [PostgresHostPort(host: host, port: port)] + fallbackHosts
    }

    /// The Unix socket file, when the location names a socket directory.
    var socketPath: String? {
        socketDirectory.map { "\($0)/.s.PGSQL.\(port)" }
    }

    /// The URI without the password, for messages and `StorageEngine.location`.
    public var description: String {
        var options: [String] = []
        if let socketDirectory { options.append("host=\(socketDirectory)") }
        if targetSessionAttributes != .any { options.append("target_session_attrs=\(targetSessionAttributes.rawValue)") }
        let defaults = PostgresTimeouts()
        if timeouts.statement != defaults.statement {
            options.append("statement_timeout=\(PostgresTimeouts.milliseconds(timeouts.statement))")
        }
        if timeouts.connect != defaults.connect { options.append("connect_timeout=\(timeouts.connect.components.seconds)") }
        if timeouts.commitLock != defaults.commitLock {
            options.append("lock_timeout=\(PostgresTimeouts.milliseconds(timeouts.commitLock))")
        }
        if tls.mode != PostgresTLS().mode { options.append("sslmode=\(tls.mode.rawValue)") }
        if let root = tls.rootCertificatePath { options.append("sslrootcert=\(root)") }
        let query = options.isEmpty ? "" : "?" + options.joined(separator: "&")
        let hostList = hosts.map { "\($0.host):\($0.port)" }.joined(separator: ",")
        return "postgresql://\(user)@\(hostList)/\(database)\(query)"
    }
}

/// One server of a multi-host location (made by parsing a URI).
public struct PostgresHostPort: Sendable, Hashable {
    /// The host name or address.
    public var host: String
    /// The TCP port.
    public var port: Int
}

/// libpq's `target_session_attrs`: which of a location's servers a connection may stay on.
public enum PostgresTargetSessionAttributes: String, Sendable, Hashable {
    /// The first server that accepts the connection.
    case any
    /// Only a server that accepts writes (`SHOW transaction_read_only` is `off`): the primary,
    /// never a hot standby.
    case readWrite = "read-write"
    /// As `readWrite` (PostgreSQL 14's name for a server not in recovery).
    case primary
}
