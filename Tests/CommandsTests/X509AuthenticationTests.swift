// MONGODB-X509 through the dispatcher with --auth on a real store: `$external` users without
// passwords, `authenticate` (and hello's speculativeAuthenticate) logging in as the verified
// certificate subject the Server hands over, MongoDB's error codes when the certificate is
// missing or names someone else, and the login's roles deciding what the connection may run.

import BSON
@testable import Commands
import Documents
import Testing

@Suite struct X509AuthenticationTests {
    static let subject = "CN=reporter,OU=Clients,O=Tessera Test"

    /// Runs `body` on connection `id`, whose client presented a certificate for `subject`.
    static func run(_ server: CommandTestServer, _ body: BSONDocument, database: String, connection id: Int64,
                    subject: String?) -> BSONDocument {
        var info = ConnectionInfo(id: id, remoteAddress: "127.0.0.1:6\(id)", localAddress: "127.0.0.1:27017",
                                  availableCompressors: [])
        info.clientCertificateSubject = subject
        return server.dispatcher.run(CommandRequest(database: database, body: body), connection: info)
    }

    @Test func externalUsersHaveNoPasswordAndRefuseOne() throws {
        try CommandTestServer.with { server in
            #expect(server.run(["createUser": .string(Self.subject), "roles": [["role": "read", "db": "reports"]]],
                               database: "$external").ok == 1)
            let info = server.run(["usersInfo": .string(Self.subject)], database: "$external")
            #expect(info.value(at: "users.0.mechanisms") == .array(["external"]))
            #expect(server.run(["createUser": "other", "pwd": "pw", "roles": []], database: "$external").code == 2)
            #expect(server.run(["updateUser": .string(Self.subject), "pwd": "pw"], database: "$external").code == 2)
            #expect(server.run(["createUser": "nopassword", "roles": []], database: "test").code == 2)
        }
    }

    @Test func certificateSubjectLogsInAndItsRolesApply() throws {
        try CommandTestServer.with(configuration: CommandConfiguration(authEnabled: true)) { server in
            // The localhost exception lets connection 1 create the first user.
            #expect(server.run(["createUser": .string(Self.subject), "roles": [["role": "read", "db": "reports"]]],
                               database: "$external").ok == 1)
            let before = Self.run(server, ["find": "daily"], database: "reports", connection: 7, subject: Self.subject)
            #expect(before.code == 13)
            let reply = Self.run(server, ["authenticate": 1, "mechanism": "MONGODB-X509"], database: "$external",
                                 connection: 7, subject: Self.subject)
            #expect(reply.ok == 1)
            #expect(reply["user"] == .string(Self.subject))
            #expect(reply["dbname"] == "$external")
            let status = Self.run(server, ["connectionStatus": 1], database: "admin", connection: 7, subject: Self.subject)
            #expect(status.value(at: "authInfo.authenticatedUsers.0.user") == .string(Self.subject))
            #expect(Self.run(server, ["find": "daily"], database: "reports", connection: 7, subject: Self.subject).ok == 1)
            #expect(Self.run(server, ["insert": "daily", "documents": [["a": 1]]], database: "reports",
                             connection: 7, subject: Self.subject).code == 13)
        }
    }

    @Test func speculativeAuthenticateInHelloLogsIn() throws {
        try CommandTestServer.with(configuration: CommandConfiguration(authEnabled: true)) { server in
            #expect(server.run(["createUser": .string(Self.subject), "roles": [["role": "read", "db": "reports"]]],
                               database: "$external").ok == 1)
            let hello = Self.run(server, ["hello": 1, "speculativeAuthenticate": [
                "authenticate": 1, "mechanism": "MONGODB-X509", "db": "$external",
            ]], database: "admin", connection: 8, subject: Self.subject)
            #expect(hello.value(at: "speculativeAuthenticate.user") == .string(Self.subject))
            #expect(Self.run(server, ["find": "daily"], database: "reports", connection: 8, subject: Self.subject).ok == 1)
            // Without a certificate the hello answers without it, and nobody is logged in.
            let plain = Self.run(server, ["hello": 1, "speculativeAuthenticate": [
                "authenticate": 1, "mechanism": "MONGODB-X509", "db": "$external",
            ]], database: "admin", connection: 9, subject: nil)
            #expect(plain.ok == 1)
            #expect(plain["speculativeAuthenticate"] == nil)
            #expect(Self.run(server, ["find": "daily"], database: "reports", connection: 9, subject: nil).code == 13)
        }
    }

    @Test func refusalsCarryMongoDBsCodes() throws {
        try CommandTestServer.with(configuration: CommandConfiguration(authEnabled: true)) { server in
            #expect(server.run(["createUser": .string(Self.subject), "roles": []], database: "$external").ok == 1)
            let x509: BSONDocument = ["authenticate": 1, "mechanism": "MONGODB-X509"]
            // No certificate.
            #expect(Self.run(server, x509, database: "$external", connection: 10, subject: nil).code == 18)
            // A user other than the certificate's subject.
            var other = x509
            other.append("user", "CN=someone else")
            #expect(Self.run(server, other, database: "$external", connection: 10, subject: Self.subject).code == 18)
            // Outside $external.
            #expect(Self.run(server, x509, database: "admin", connection: 10, subject: Self.subject).code == 17)
            // A certificate nobody created a user for.
            #expect(Self.run(server, x509, database: "$external", connection: 10, subject: "CN=stranger").code == 18)
            // Other mechanisms and none.
            #expect(Self.run(server, ["authenticate": 1, "mechanism": "PLAIN"], database: "$external",
                             connection: 10, subject: Self.subject).code == 2)
            #expect(Self.run(server, ["authenticate": 1], database: "$external", connection: 10, subject: Self.subject).code == 2)
            let status = Self.run(server, ["connectionStatus": 1], database: "admin", connection: 10, subject: Self.subject)
            #expect(status.value(at: "authInfo.authenticatedUsers") == .array([]))
        }
    }
}
