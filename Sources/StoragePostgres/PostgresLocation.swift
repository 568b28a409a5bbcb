// PostgresLocation: where a PostgreSQL-protocol database is, parsed from the URI that
// `tessera serve --storage` takes (`postgresql://USER[:PASSWORD]@HOST:PORT/DB[?host=/socket/dir]`).
// Owns the parsing and the secret-free form used in messages; opens nothing.
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

    /// Parses `postgresql://USER[:PASSWORD]@HOST[:PORT]/DB[?host=/socket/dir]`.
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
        var host = String(hostPort)
        var port = 5432
        if let colon = hostPort.lastIndex(of: ":") {
            host = String(hostPort[..<colon])
            guard let parsed = Int(hostPort[hostPort.index(after: colon)...]), (1 ... 65535).contains(parsed) else {
                throw refuse("bad port")
            }
            port = parsed
        }
        var socketDirectory: String?
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            if parts[0] == "host", parts[1].hasPrefix("/") { socketDirectory = String(parts[1]) }
        }
        guard !host.isEmpty || socketDirectory != nil else { throw refuse("no host") }
        self.init(host: host.isEmpty ? "localhost" : host, port: port, user: user, password: password,
                  database: database, socketDirectory: socketDirectory)
    }

    /// The Unix socket file, when the location names a socket directory.
    var socketPath: String? {
        socketDirectory.map { "\($0)/.s.PGSQL.\(port)" }
    }

    /// The URI without the password, for messages and `StorageEngine.location`.
    public var description: String {
        let socket = socketDirectory.map { "?host=\($0)" } ?? ""
        return "postgresql://\(user)@\(host):\(port)/\(database)\(socket)"
    }
}
