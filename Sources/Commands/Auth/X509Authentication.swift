// MONGODB-X509: the `authenticate` command (and hello's speculativeAuthenticate in its form)
// logging a connection in as the `$external` user named by the subject of the client's
// verified TLS certificate. The Server layer verifies the certificate and hands the subject
// (RFC 2253) over in ConnectionInfo; nothing here reads certificates.

import BSON

/// The `authenticate` command, which Tessera (as MongoDB 8.0) offers for MONGODB-X509 only.
enum X509Authentication {
    static let handlers: [CommandHandler] = [
        CommandHandler(["authenticate"], help: "logs in with MONGODB-X509 as the client certificate's subject") {
            (context) throws(MongoError) -> BSONDocument in
            try authenticate(context, spec: context.body, database: context.database)
        },
    ]

    /// The mechanism's name as drivers send it.
    static let mechanism = "MONGODB-X509"

    /// The database X.509 users live in.
    static let externalDatabase = "$external"

    /// Authenticates the connection as its certificate's subject; `spec` is the command (or
    /// hello's `speculativeAuthenticate` document) and `database` its `$db` (or `db`).
    ///
    /// Answers `{dbname, user}`.
    /// - Throws: `BadValue` (2) for a missing or other mechanism, `ProtocolError` (17) outside
    ///   `$external`, `AuthenticationFailed` (18) without a verified certificate, for a `user`
    ///   other than its subject, or when no such user exists.
    static func authenticate(_ context: CommandContext, spec: BSONDocument, database: String) throws(MongoError) -> BSONDocument {
        guard case let .string(name)? = spec["mechanism"], !name.isEmpty else {
            throw MongoError(.badValue, "Auth mechanism not specified")
        }
        guard name == mechanism else { throw MongoError(.badValue, "Unsupported mechanism: \(name)") }
        let requested: String?
        switch spec["user"] {
        case nil, .null?: requested = nil
        case let .string(user)?: requested = user.isEmpty ? nil : user
        case let other?:
            throw MongoError(.typeMismatch, "BSON field 'authenticate.user' is the wrong type '\(other.type.alias)', expected type 'string'")
        }
        guard let subject = context.connection.clientCertificateSubject else {
            AuthCommands.fail(context, requested, database: database, mechanism: mechanism, reason: "no verified client certificate")
            throw MongoError(AuthCommands.authenticationFailed().code, "No verified subject name available from client")
        }
        if let requested, requested != subject {
            AuthCommands.fail(context, requested, database: database, mechanism: mechanism, reason: "certificate subject is \(subject)")
            throw MongoError(AuthCommands.authenticationFailed().code, "There is no x.509 client certificate matching the user.")
        }
        guard database == externalDatabase else {
            throw MongoError(MongoError.Code(17, "ProtocolError"), "X.509 authentication must always use the $external database.")
        }
        let record: UserRecord?
        do {
            record = try context.server.auth.store.user(UserName(user: subject, db: externalDatabase))
        } catch {
            context.server.logger.error("cannot read the users", metadata: ["error": "\(error)"])
            record = nil
        }
        guard let record else {
            AuthCommands.fail(context, subject, database: database, mechanism: mechanism, reason: "no such user")
            throw AuthCommands.authenticationFailed()
        }
        context.server.auth.authenticate(record, on: context.connection.id)
        context.server.audit(AuditEvent.authentication(user: subject, database: externalDatabase, mechanism: mechanism,
                                                       succeeded: true), connection: context.connection)
        context.server.logger.info("authenticated", metadata: [
            "user": "\(record.name)", "mechanism": "\(mechanism)", "remote": "\(context.connection.remoteAddress)",
        ])
        return ["dbname": .string(externalDatabase), "user": .string(subject)]
    }

    /// hello's reply to `speculativeAuthenticate: {authenticate: 1, mechanism: "MONGODB-X509", db}`,
    /// or nil when it does not authenticate (the driver then runs `authenticate` itself).
    static func speculativeReply(_ context: CommandContext, spec: BSONDocument) -> BSONDocument? {
        var database = context.database
        if case let .string(db)? = spec["db"] { database = db }
        return try? authenticate(context, spec: spec, database: database)
    }
}
