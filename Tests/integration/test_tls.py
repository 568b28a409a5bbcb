# TLS against real `tessera serve` processes with pymongo, libmongoc and tessera bench, with
# certificates the test makes with the `openssl` command in a temporary directory: SCRAM over
# TLS, requireTLS refusing a plain client, allowTLS/preferTLS serving both on one port, client
# certificates checked against --tls-ca-file (another CA's refused), MONGODB-X509 logins
# authorized by their $external user's roles, and a one-line error for a bad PEM file.

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from pymongo import MongoClient
from pymongo.errors import OperationFailure, PyMongoError

from tessera_server import TesseraServer, free_port, tessera_binary
from test_cclient import cclient  # noqa: F401  (the libmongoc client fixture)

ADMIN = ("admin", "admin-secret-pw")
CLIENT_SUBJECT = "/O=Tessera Test/OU=Clients/CN=reporter"


def openssl(*args: str, cwd: Path) -> str:
    run = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, f"openssl {' '.join(args)} failed:\n{run.stderr}"
    return run.stdout


class PKI:
    """Two CAs; a server certificate (localhost, 127.0.0.1) and client certificates."""

    def __init__(self, root: Path):
        self.root = root
        self.ca = self.authority("ca", "/O=Tessera Test/CN=Test CA")
        self.other_ca = self.authority("other-ca", "/O=Somebody Else/CN=Other CA")
        self.server = self.leaf("server", "/O=Tessera Test/CN=localhost", "ca",
                                "subjectAltName=DNS:localhost,IP:127.0.0.1")
        self.client = self.leaf("client", CLIENT_SUBJECT, "ca", "extendedKeyUsage=clientAuth")
        self.stranger = self.leaf("stranger", "/O=Tessera Test/OU=Clients/CN=stranger", "ca",
                                  "extendedKeyUsage=clientAuth")
        # The same subject as the real client, signed by a CA the server does not trust.
        self.rogue = self.leaf("rogue", CLIENT_SUBJECT, "other-ca", "extendedKeyUsage=clientAuth")

    def authority(self, name: str, subject: str) -> Path:
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", f"{name}.key", "-out", f"{name}.pem", "-days", "2", "-subj", subject, cwd=self.root)
        return self.root / f"{name}.pem"

    def leaf(self, name: str, subject: str, issuer: str, extension: str) -> Path:
        """`name.pem`: the certificate followed by its key, as --tls-certificate-key-file wants."""
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", subject, cwd=self.root)
        (self.root / f"{name}.ext").write_text(extension + "\n")
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{issuer}.pem", "-CAkey", f"{issuer}.key",
                "-CAcreateserial", "-days", "2", "-extfile", f"{name}.ext", "-out", f"{name}.crt", cwd=self.root)
        combined = self.root / f"{name}.pem"
        combined.write_text((self.root / f"{name}.crt").read_text() + (self.root / f"{name}.key").read_text())
        return combined

    def subject(self, pem: Path) -> str:
        """The RFC 2253 subject MongoDB names the X.509 user by, as its documentation gets it."""
        line = openssl("x509", "-in", str(pem), "-noout", "-subject", "-nameopt", "RFC2253", cwd=self.root)
        return line.strip().removeprefix("subject=")


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> PKI:
    return PKI(tmp_path_factory.mktemp("pki"))


class TLSServer(TesseraServer):
    """A server whose readiness probe (and `client()`) connect with TLS."""

    def __init__(self, root: Path, pki: PKI, args: list[str], client_certificate: Path | None = None):
        super().__init__(root / "db", root / "server.log", extra_args=args)
        self.pki = pki
        self.client_certificate = client_certificate

    @property
    def uri(self) -> str:
        uri = f"mongodb://127.0.0.1:{self.port}/?directConnection=true&tls=true&tlsCAFile={self.pki.ca}"
        if self.client_certificate is not None:
            uri += f"&tlsCertificateKeyFile={self.client_certificate}"
        return uri


def serve(tmp_path: Path, pki: PKI, mode: str, *more: str, client_certificate: Path | None = None) -> TLSServer:
    server = TLSServer(tmp_path, pki, ["--tls-mode", mode, "--tls-certificate-key-file", str(pki.server), *more],
                       client_certificate)
    server.start()
    return server


def tls_client(server: TesseraServer, pki: PKI, **options) -> MongoClient:
    options.setdefault("serverSelectionTimeoutMS", 5_000)
    return MongoClient(f"mongodb://127.0.0.1:{server.port}/?directConnection=true", tls=True,
                       tlsCAFile=str(pki.ca), **options)


def plain_client(server: TesseraServer, **options) -> MongoClient:
    options.setdefault("serverSelectionTimeoutMS", 3_000)
    return MongoClient(f"mongodb://127.0.0.1:{server.port}/?directConnection=true", **options)


def refused(client: MongoClient) -> bool:
    """True when the client cannot run a command (it could not connect)."""
    with client:
        try:
            client.admin.command("ping")
        except PyMongoError:
            return True
    return False


def test_scram_login_over_tls(tmp_path, pki):
    server = serve(tmp_path, pki, "requireTLS", "--auth")
    try:
        with tls_client(server, pki) as anonymous:
            anonymous.admin.command("createUser", ADMIN[0], pwd=ADMIN[1], roles=["root"])
        for mechanism in ("SCRAM-SHA-256", "SCRAM-SHA-1"):
            with tls_client(server, pki, username=ADMIN[0], password=ADMIN[1], authSource="admin",
                            authMechanism=mechanism) as admin:
                admin.tlsdb.items.insert_one({"_id": mechanism})
                assert admin.tlsdb.items.find_one({"_id": mechanism}) == {"_id": mechanism}
                status = admin.admin.command("connectionStatus")
                assert status["authInfo"]["authenticatedUsers"] == [{"user": "admin", "db": "admin"}]
                options = admin.admin.command("getCmdLineOpts")["parsed"]["net"]["tls"]
                assert options == {"mode": "requireTLS", "certificateKeyFile": str(pki.server)}
        with tls_client(server, pki, username=ADMIN[0], password="wrong", authSource="admin") as intruder:
            with pytest.raises(OperationFailure) as failure:
                intruder.tlsdb.items.find_one()
            assert failure.value.code == 18
        # A client that does not trust the server's CA gives up on the handshake.
        assert refused(MongoClient(f"mongodb://127.0.0.1:{server.port}/?directConnection=true", tls=True,
                                   tlsCAFile=str(pki.other_ca), serverSelectionTimeoutMS=3_000))
    finally:
        assert server.stop() == 0, server.log_tail()


def test_require_tls_refuses_a_plain_client(tmp_path, pki):
    server = serve(tmp_path, pki, "requireTLS")
    try:
        assert refused(plain_client(server))
        assert "does not use TLS" in server.log_text()
        with tls_client(server, pki) as client:
            assert client.admin.command("ping")["ok"] == 1
    finally:
        assert server.stop() == 0, server.log_tail()


@pytest.mark.parametrize("mode", ["allowTLS", "preferTLS"])
def test_allow_and_prefer_tls_serve_plain_and_tls_on_one_port(tmp_path, pki, mode):
    server = serve(tmp_path, pki, mode)
    try:
        with plain_client(server) as plain, tls_client(server, pki) as encrypted:
            plain.both.items.insert_one({"_id": "plain", "pad": "x" * 300})
            encrypted.both.items.insert_one({"_id": "tls", "pad": "y" * 300})
            assert sorted(d["_id"] for d in encrypted.both.items.find()) == ["plain", "tls"]
            assert sorted(d["_id"] for d in plain.both.items.find()) == ["plain", "tls"]
        log = server.log_text()
        assert "TLS established" in log
    finally:
        assert server.stop() == 0, server.log_tail()


def test_client_certificates_are_checked_against_the_ca_file(tmp_path, pki):
    server = serve(tmp_path / "required", pki, "requireTLS", "--tls-ca-file", str(pki.ca),
                   client_certificate=pki.client)
    try:
        with tls_client(server, pki, tlsCertificateKeyFile=str(pki.client)) as trusted:
            assert trusted.admin.command("ping")["ok"] == 1
        assert refused(tls_client(server, pki, tlsCertificateKeyFile=str(pki.rogue), serverSelectionTimeoutMS=3_000))
        assert refused(tls_client(server, pki, serverSelectionTimeoutMS=3_000))  # none: required
    finally:
        assert server.stop() == 0, server.log_tail()
    optional = serve(tmp_path / "optional", pki, "requireTLS", "--tls-ca-file", str(pki.ca),
                     "--tls-allow-connections-without-certificates")
    try:
        with tls_client(optional, pki) as anonymous:
            assert anonymous.admin.command("ping")["ok"] == 1
        assert refused(tls_client(optional, pki, tlsCertificateKeyFile=str(pki.rogue), serverSelectionTimeoutMS=3_000))
    finally:
        assert optional.stop() == 0, optional.log_tail()


def test_x509_login_is_authorized_by_the_external_users_roles(tmp_path, pki):
    server = serve(tmp_path, pki, "requireTLS", "--auth", "--tls-ca-file", str(pki.ca),
                   "--tls-allow-connections-without-certificates")
    subject = pki.subject(pki.client)
    assert subject == "CN=reporter,OU=Clients,O=Tessera Test"
    try:
        with tls_client(server, pki) as anonymous:
            anonymous.admin.command("createUser", ADMIN[0], pwd=ADMIN[1], roles=["root"])
        with tls_client(server, pki, username=ADMIN[0], password=ADMIN[1], authSource="admin") as admin:
            admin["$external"].command("createUser", subject, roles=[{"role": "read", "db": "reports"}])
            info = admin["$external"].command("usersInfo", subject)["users"][0]
            assert info["mechanisms"] == ["external"]
            admin.reports.daily.insert_one({"_id": 1, "total": 42})

        with tls_client(server, pki, tlsCertificateKeyFile=str(pki.client), authMechanism="MONGODB-X509") as reporter:
            assert reporter.reports.daily.find_one() == {"_id": 1, "total": 42}
            status = reporter.admin.command("connectionStatus")["authInfo"]
            assert status["authenticatedUsers"] == [{"user": subject, "db": "$external"}]
            assert status["authenticatedUserRoles"] == [{"role": "read", "db": "reports"}]
            with pytest.raises(OperationFailure) as write:
                reporter.reports.daily.insert_one({"_id": 2})
            assert write.value.code == 13
            with pytest.raises(OperationFailure) as other_database:
                reporter.secrets.things.find_one()
            assert other_database.value.code == 13
        # Naming the user explicitly works when it is the certificate's subject, not otherwise.
        with tls_client(server, pki, tlsCertificateKeyFile=str(pki.client), authMechanism="MONGODB-X509",
                        username=subject) as named:
            assert named.reports.daily.count_documents({}) == 1
        with tls_client(server, pki, tlsCertificateKeyFile=str(pki.client), authMechanism="MONGODB-X509",
                        username="CN=admin,O=Tessera Test") as impostor:
            with pytest.raises(OperationFailure) as failure:
                impostor.reports.daily.find_one()
            assert failure.value.code == 18
        # A certificate from the right CA, but nobody made it a user.
        with tls_client(server, pki, tlsCertificateKeyFile=str(pki.stranger), authMechanism="MONGODB-X509") as stranger:
            with pytest.raises(OperationFailure) as failure:
                stranger.reports.daily.find_one()
            assert failure.value.code == 18
        assert "authentication failed" in server.log_text()
    finally:
        assert server.stop() == 0, server.log_tail()


def start_and_fail(tmp_path: Path, *tls_args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(tessera_binary()), "serve", "--port", str(free_port()), "--dbpath", str(tmp_path / "db"), *tls_args],
        capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("case", ["missing", "garbage", "certificate-without-key", "key-of-another-certificate",
                                  "no-file-option", "missing-ca-file"])
def test_a_bad_pem_stops_the_start_with_one_line(tmp_path, pki, case):
    pem = tmp_path / "server.pem"
    args = ["--tls-mode", "requireTLS", "--tls-certificate-key-file", str(pem)]
    if case == "missing":
        pass
    elif case == "garbage":
        pem.write_text("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n")
    elif case == "certificate-without-key":
        pem.write_text((pki.root / "server.crt").read_text())
    elif case == "key-of-another-certificate":
        pem.write_text((pki.root / "server.crt").read_text() + (pki.root / "client.key").read_text())
    elif case == "no-file-option":
        args = ["--tls-mode", "requireTLS"]
    elif case == "missing-ca-file":
        args = ["--tls-mode", "requireTLS", "--tls-certificate-key-file", str(pki.server),
                "--tls-ca-file", str(tmp_path / "absent-ca.pem")]
    run = start_and_fail(tmp_path, *args)
    assert run.returncode == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("tessera: ")
    expected = {"no-file-option": "--tls-certificate-key-file", "missing-ca-file": "absent-ca.pem"}
    assert expected.get(case, str(pem)) in lines[0]
    assert not (tmp_path / "db").exists()


def test_libmongoc_client_over_tls(cclient, tmp_path, pki):  # noqa: F811
    server = serve(tmp_path, pki, "requireTLS", "--tls-ca-file", str(pki.ca), client_certificate=pki.client)
    try:
        uri = (f"mongodb://127.0.0.1:{server.port}/?directConnection=true&tls=true"
               f"&tlsCAFile={pki.ca}&tlsCertificateKeyFile={pki.client}")
        run = subprocess.run([str(cclient), uri, "ctls"], capture_output=True, text=True, timeout=60)
        assert run.returncode == 0, f"C client failed:\nstdout:\n{run.stdout}\nstderr:\n{run.stderr}"
        assert run.stdout.splitlines()[:3] == ["ping ok", "inserted 5", "found 5"]
        assert "TLS established" in server.log_text()
        assert f"clientCertificate={pki.subject(pki.client)}" in server.log_text()
    finally:
        assert server.stop() == 0, server.log_tail()


def test_bench_logs_in_with_scram_over_tls_and_plain(tmp_path, pki):
    server = serve(tmp_path, pki, "allowTLS", "--auth")
    try:
        with tls_client(server, pki) as anonymous:
            anonymous.admin.command("createUser", "bencher", pwd="p@ss:w/rd", roles=["root"])
        output = tmp_path / "bench.json"
        run = subprocess.run(
            [str(tessera_binary()), "bench", "--target", "tcp",
             "--uri", f"mongodb://bencher:p%40ss%3Aw%2Frd@127.0.0.1:{server.port}/?authSource=admin",
             "--tls-ca-file", str(pki.ca), "--compare-plain", "--workload", "connect", "ycsb-c",
             "--records", "200", "--duration", "1", "--warmup", "0.2", "--connections", "2", "--json", str(output)],
            capture_output=True, text=True, timeout=180)
        assert run.returncode == 0, run.stderr
        results = json.loads(output.read_text())["results"]
        assert [(r["workload"], r["target"]) for r in results] == [
            ("connect", "tcp"), ("connect", "tls"), ("ycsb-c", "tcp"), ("ycsb-c", "tls")]
        assert all(r["operations"] > 0 for r in results)
        assert re.search(r"ycsb-c: tls at [0-9.]+% of tcp's throughput", run.stdout), run.stdout
        # Every connection logged in: the server saw as many SCRAM logins as connections.
        logins = server.log_text().count("mechanism=SCRAM-SHA-256")
        assert logins >= results[0]["operations"] + results[1]["operations"]
        # A wrong password fails the bench at its first connection, with the server's code.
        wrong = subprocess.run(
            [str(tessera_binary()), "bench", "--target", "tcp",
             "--uri", f"mongodb://bencher:nope@127.0.0.1:{server.port}/?authSource=admin",
             "--tls-ca-file", str(pki.ca), "--workload", "ycsb-c", "--records", "200", "--duration", "1"],
            capture_output=True, text=True, timeout=60)
        assert wrong.returncode != 0
        assert "code 18" in wrong.stderr + wrong.stdout
    finally:
        assert server.stop() == 0, server.log_tail()


def test_tls_settings_come_from_the_config_file_too(tmp_path, pki):
    config = tmp_path / "tessera.json"
    config.write_text(json.dumps({"tlsMode": "requireTLS", "tlsCertificateKeyFile": str(pki.server),
                                  "tlsCAFile": str(pki.ca), "tlsAllowConnectionsWithoutCertificates": True}))
    server = TLSServer(tmp_path, pki, ["--config", str(config)])
    server.start()
    try:
        assert refused(plain_client(server))
        with tls_client(server, pki) as anonymous:
            tls = anonymous.admin.command("getCmdLineOpts")["parsed"]["net"]["tls"]
            assert tls == {"mode": "requireTLS", "certificateKeyFile": str(pki.server), "CAFile": str(pki.ca),
                           "allowConnectionsWithoutCertificates": True}
        assert refused(tls_client(server, pki, tlsCertificateKeyFile=str(pki.rogue), serverSelectionTimeoutMS=3_000))
    finally:
        assert server.stop() == 0, server.log_tail()
