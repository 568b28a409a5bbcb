# Authentication and authorization against `tessera serve --auth` with pymongo: the localhost
# exception, SCRAM-SHA-256 and SCRAM-SHA-1 logins, failures (code 18), roles (code 13 where a
# role does not reach), cursor ownership, user management, malformed SASL, and the refusal to
# listen on a non-loopback address without --auth.

from __future__ import annotations

import base64
import os
import subprocess

import bson
import pytest
from pymongo import MongoClient
from pymongo.errors import OperationFailure

from tessera_server import TesseraServer, free_port, tessera_binary

ADMIN = ("admin", "admin-secret-pw")


def login(server: TesseraServer, user: str, password: str, source: str = "admin", **options) -> MongoClient:
    return MongoClient(f"mongodb://127.0.0.1:{server.port}/?directConnection=true", username=user,
                       password=password, authSource=source, serverSelectionTimeoutMS=10_000, **options)


def code_of(call) -> int:
    with pytest.raises(OperationFailure) as failure:
        call()
    return failure.value.code


def start_with_first_user(root, extra_args: list[str] | None = None) -> TesseraServer:
    """A started --auth server (plus `extra_args`) whose first user (root) was made through the
    localhost exception."""
    instance = TesseraServer(root / "db", root / "server.log", extra_args=["--auth", *(extra_args or [])])
    instance.start()
    with instance.client() as anonymous:
        anonymous.admin.command("createUser", ADMIN[0], pwd=ADMIN[1], roles=["root"])
    return instance


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory):
    """One --auth server whose first user (root) was made through the localhost exception."""
    instance = start_with_first_user(tmp_path_factory.mktemp("tessera-auth"))
    yield instance
    assert instance.stop() == 0, instance.log_tail()


@pytest.fixture(scope="module")
def admin(auth_server):
    with login(auth_server, *ADMIN) as client:
        yield client


def make_user(admin: MongoClient, db: str, user: str, roles, **options) -> None:
    try:
        admin[db].command("dropUser", user)
    except OperationFailure:
        pass
    admin[db].command("createUser", user, pwd=f"{user}-pw", roles=roles, **options)


def test_localhost_exception_allows_only_the_first_user(tmp_path):
    server = TesseraServer(tmp_path / "db", tmp_path / "server.log", extra_args=["--auth"])
    server.start()
    try:
        with server.client() as anonymous:
            assert code_of(lambda: anonymous.test.c.find_one()) == 13
            anonymous.admin.command("createUser", "first", pwd="first-pw", roles=["root"])
            assert code_of(lambda: anonymous.admin.command("createUser", "second", pwd="x", roles=["root"])) == 13
            failure = pytest.raises(OperationFailure, anonymous.test.c.insert_one, {"a": 1})
            assert failure.value.code == 13 and "requires authentication" in str(failure.value)
            assert code_of(lambda: anonymous.list_database_names()) == 13
            assert anonymous.admin.command("hello")["ok"] == 1
            assert anonymous.admin.command("ping")["ok"] == 1
        with login(server, "first", "first-pw") as first:
            first.test.c.insert_one({"a": 1})
            assert first.test.c.count_documents({}) == 1
    finally:
        assert server.stop() == 0


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-256", "SCRAM-SHA-1"])
def test_scram_login(auth_server, admin, mechanism):
    make_user(admin, "app", "both", ["readWrite"])
    with login(auth_server, "both", "both-pw", "app", authMechanism=mechanism) as client:
        status = client.app.command("connectionStatus")["authInfo"]
        assert status["authenticatedUsers"] == [{"user": "both", "db": "app"}]
        assert status["authenticatedUserRoles"] == [{"role": "readWrite", "db": "app"}]
        client.app.c.insert_one({"m": mechanism})


def test_user_with_only_one_mechanism(auth_server, admin):
    make_user(admin, "app", "sha1only", ["read"], mechanisms=["SCRAM-SHA-1"])
    reply = admin.admin.command("hello", saslSupportedMechs="app.sha1only")
    assert reply["saslSupportedMechs"] == ["SCRAM-SHA-1"]
    with login(auth_server, "sha1only", "sha1only-pw", "app") as client:
        client.app.c.find_one()
    with login(auth_server, "sha1only", "sha1only-pw", "app", authMechanism="SCRAM-SHA-256") as client:
        assert code_of(lambda: client.app.c.find_one()) == 18


def test_wrong_password_and_unknown_user_fail_with_18(auth_server, admin):
    make_user(admin, "app", "alice", ["read"])
    with login(auth_server, "alice", "not-her-password", "app") as client:
        assert code_of(lambda: client.app.c.find_one()) == 18
    with login(auth_server, "nobody", "whatever", "app") as client:
        assert code_of(lambda: client.app.c.find_one()) == 18
    assert "authentication failed" in auth_server.log_text()


def test_read_role_finds_but_cannot_insert(auth_server, admin):
    admin.shop.items.insert_one({"_id": 1})
    make_user(admin, "shop", "reader", ["read"])
    with login(auth_server, "reader", "reader-pw", "shop") as client:
        assert client.shop.items.find_one() == {"_id": 1}
        assert code_of(lambda: client.shop.items.insert_one({"_id": 2})) == 13
        assert code_of(lambda: client.shop.items.delete_many({})) == 13
        assert code_of(lambda: client.shop.command("dropDatabase")) == 13


def test_read_write_on_one_database_does_not_reach_another(auth_server, admin):
    admin.dba.c.insert_one({"_id": 1, "k": 1})
    admin.dbb.secret.insert_one({"_id": 1, "k": 1, "s": "hidden"})
    make_user(admin, "dba", "writer", ["readWrite"])
    with login(auth_server, "writer", "writer-pw", "dba") as client:
        client.dba.c.insert_one({"_id": 2})
        assert code_of(lambda: client.dbb.secret.find_one()) == 13
        assert code_of(lambda: client.dbb.secret.insert_one({})) == 13
        lookup = [{"$lookup": {"from": {"db": "dbb", "coll": "secret"}, "localField": "k",
                               "foreignField": "k", "as": "s"}}]
        assert code_of(lambda: list(client.dba.c.aggregate(lookup))) == 13
        union = [{"$unionWith": {"coll": "c", "pipeline": [{"$lookup": {"from": {"db": "dbb", "coll": "secret"},
                                                                          "pipeline": [], "as": "s"}}]}}]
        assert code_of(lambda: list(client.dba.c.aggregate(union))) == 13
        out = [{"$out": {"db": "dbb", "coll": "stolen"}}]
        assert code_of(lambda: list(client.dba.c.aggregate(out))) == 13
        merge = [{"$merge": {"into": {"db": "dbb", "coll": "secret"}}}]
        assert code_of(lambda: list(client.dba.c.aggregate(merge))) == 13
        assert list(client.dba.c.aggregate([{"$match": {"_id": 1}}, {"$out": "copy"}])) == []
        assert client.dba.copy.count_documents({}) == 1
        assert client.list_database_names() == ["dba"]
    assert admin.dbb.list_collection_names() == ["secret"]


def test_drop_database_needs_db_admin(auth_server, admin):
    admin.dropme.c.insert_one({})
    make_user(admin, "dropme", "rw", ["readWrite"])
    make_user(admin, "dropme", "dba", ["dbAdmin"])
    with login(auth_server, "rw", "rw-pw", "dropme") as client:
        assert code_of(lambda: client.drop_database("dropme")) == 13
    with login(auth_server, "dba", "dba-pw", "dropme") as client:
        assert code_of(lambda: client.dropme.c.find_one()) == 13
        client.drop_database("dropme")
    assert "dropme" not in admin.list_database_names()


def test_another_users_cursor_is_off_limits(auth_server, admin):
    admin.cur.c.insert_many([{"_id": i} for i in range(10)])
    make_user(admin, "cur", "owner", ["read"])
    make_user(admin, "cur", "other", ["read"])
    with login(auth_server, "owner", "owner-pw", "cur") as owner, \
            login(auth_server, "other", "other-pw", "cur") as other:
        cursor = owner.cur.command("find", "c", batchSize=2)["cursor"]
        assert cursor["id"] != 0
        assert code_of(lambda: other.cur.command("getMore", cursor["id"], collection="c")) == 13
        assert code_of(lambda: other.cur.command("killCursors", "c", cursors=[cursor["id"]])) == 13
        more = owner.cur.command("getMore", cursor["id"], collection="c", batchSize=2)["cursor"]
        assert [d["_id"] for d in more["nextBatch"]] == [2, 3]


def test_user_management_round_trip(auth_server, admin):
    make_user(admin, "um", "bob", ["read"], customData={"team": "x"})
    assert code_of(lambda: admin.um.command("createUser", "bob", pwd="again", roles=[])) == 51003
    assert code_of(lambda: admin.um.command("createUser", "carl", pwd="p", roles=["noSuchRole"])) == 31
    assert code_of(lambda: admin.um.command("createUser", "carl", pwd="p", roles=[{"role": "root", "db": "um"}])) == 31
    assert code_of(lambda: admin.um.command("updateUser", "nobody", pwd="p")) == 11
    assert code_of(lambda: admin.um.command("dropUser", "nobody")) == 11
    info = admin.um.command("usersInfo", "bob")["users"]
    assert len(info) == 1 and info[0]["user"] == "bob" and info[0]["db"] == "um"
    assert info[0]["roles"] == [{"role": "read", "db": "um"}]
    assert info[0]["mechanisms"] == ["SCRAM-SHA-1", "SCRAM-SHA-256"]
    assert info[0]["customData"] == {"team": "x"}
    assert "credentials" not in info[0]
    shown = admin.um.command("usersInfo", {"user": "bob", "db": "um"}, showCredentials=True)["users"][0]
    assert set(shown["credentials"]) == {"SCRAM-SHA-1", "SCRAM-SHA-256"}

    stored = admin.admin["system.users"].find_one({"_id": "um.bob"})
    assert stored["user"] == "bob" and stored["db"] == "um"
    assert set(stored["credentials"]["SCRAM-SHA-256"]) == {"iterationCount", "salt", "storedKey", "serverKey"}
    assert "pwd" not in stored and "bob-pw" not in repr(stored)

    admin.um.command("grantRolesToUser", "bob", roles=["readWrite"])
    admin.um.command("revokeRolesFromUser", "bob", roles=["read"])
    assert admin.um.command("usersInfo", "bob")["users"][0]["roles"] == [{"role": "readWrite", "db": "um"}]
    admin.um.command("updateUser", "bob", pwd="new-bob-pw")
    with login(auth_server, "bob", "bob-pw", "um") as client:
        assert code_of(lambda: client.um.c.find_one()) == 18
    with login(auth_server, "bob", "new-bob-pw", "um") as client:
        client.um.c.insert_one({"by": "bob"})
        assert [u["user"] for u in client.um.command("usersInfo", "bob")["users"]] == ["bob"]
        admin.um.command("dropUser", "bob")
        assert code_of(lambda: client.um.c.insert_one({})) == 13
    assert admin.um.command("usersInfo", 1)["users"] == []
    make_user(admin, "um", "u1", [])
    make_user(admin, "um", "u2", [])
    assert admin.um.command("dropAllUsersFromDatabase")["n"] == 2


def test_user_admin_cannot_grant_roles_beyond_its_database(auth_server, admin):
    make_user(admin, "ua", "keeper", ["userAdmin"])
    with login(auth_server, "keeper", "keeper-pw", "ua") as client:
        client.ua.command("createUser", "helper", pwd="helper-pw", roles=["readWrite"])
        escalate = lambda: client.ua.command("createUser", "evil", pwd="p", roles=[{"role": "root", "db": "admin"}])
        assert code_of(escalate) == 13
        assert code_of(lambda: client.ua.command("grantRolesToUser", "helper",
                                                 roles=[{"role": "readAnyDatabase", "db": "admin"}])) == 13


def test_logout_forgets_the_user(auth_server, admin):
    make_user(admin, "lo", "temp", ["read"])
    with login(auth_server, "temp", "temp-pw", "lo") as client:
        client.lo.c.find_one()
        status = client.lo.command("logout")
        assert status["ok"] == 1


def test_hello_speculative_authenticate_and_supported_mechs(auth_server, admin):
    make_user(admin, "spec", "sp", ["read"])
    with auth_server.client() as anonymous:
        reply = anonymous.admin.command("hello", saslSupportedMechs="spec.sp")
        assert reply["saslSupportedMechs"] == ["SCRAM-SHA-1", "SCRAM-SHA-256"]
        assert "saslSupportedMechs" not in anonymous.admin.command("hello", saslSupportedMechs="spec.nobody")
        first = b"n,,n=sp,r=clientnonce0123456789"
        reply = anonymous.admin.command("hello", speculativeAuthenticate={
            "saslStart": 1, "mechanism": "SCRAM-SHA-256", "payload": bson.Binary(first), "db": "spec"})
        spec = reply["speculativeAuthenticate"]
        assert spec["done"] is False and bytes(spec["payload"]).startswith(b"r=clientnonce0123456789")


def test_malformed_sasl_answers_18_and_everything_stays_up(auth_server, admin):
    make_user(admin, "mal", "m", ["read"])
    with auth_server.client() as anonymous:
        db = anonymous.mal
        for payload in [b"\xff\xfe\x00garbage", b"", b"x" * (1 << 20), b"n,,n=m", b"p=tls,,n=m,r=abc",
                        b"n,,n=m,r=a,b", b"n,,n=m=ZZ,r=abc", b"n,,m=ext,n=m,r=abc"]:
            assert code_of(lambda: db.command("saslStart", mechanism="SCRAM-SHA-256",
                                              payload=bson.Binary(payload))) == 18, payload
        assert code_of(lambda: db.command("saslStart", mechanism="PLAIN", payload=bson.Binary(b"\x00m\x00p"))) == 334
        assert code_of(lambda: db.command("saslStart", mechanism="SCRAM-SHA-256", payload=12)) == 18

        started = db.command("saslStart", mechanism="SCRAM-SHA-256",
                             payload=bson.Binary(b"n,,n=m,r=clientnonce"), options={"skipEmptyExchange": True})
        server_first = bytes(started["payload"]).decode()
        fields = dict(part.split("=", 1) for part in server_first.split(","))
        assert fields["r"].startswith("clientnonce") and int(fields["i"]) >= 4096
        proof = base64.b64encode(os.urandom(32)).decode()
        wrong_nonce = f"c=biws,r=clientnonceXXXX,p={proof}".encode()
        assert code_of(lambda: db.command("saslContinue", conversationId=started["conversationId"],
                                          payload=bson.Binary(wrong_nonce))) == 18
        # The conversation is gone: continuing it again is a protocol error, not a crash.
        assert code_of(lambda: db.command("saslContinue", conversationId=1, payload=bson.Binary(b"c=biws"))) in (17, 18)

        started = db.command("saslStart", mechanism="SCRAM-SHA-1", payload=bson.Binary(b"n,,n=m,r=abc"))
        nonce = dict(p.split("=", 1) for p in bytes(started["payload"]).decode().split(","))["r"]
        bad_proof = f"c=biws,r={nonce},p={base64.b64encode(b'short').decode()}".encode()
        assert code_of(lambda: db.command("saslContinue", conversationId=1, payload=bson.Binary(bad_proof))) == 18
        assert anonymous.admin.command("ping")["ok"] == 1
    assert auth_server.running
    with login(auth_server, "m", "m-pw", "mal") as client:
        client.mal.c.find_one()


def test_non_loopback_bind_without_auth_refuses_to_start(tmp_path):
    command = [str(tessera_binary()), "serve", "--bind", "0.0.0.0", "--port", str(free_port()),
               "--dbpath", str(tmp_path / "db")]
    result = subprocess.run(command, capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
    assert result.returncode != 0
    assert b"--auth" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_non_loopback_bind_with_insecure_flag_starts_with_a_warning(tmp_path):
    server = TesseraServer(tmp_path / "db", tmp_path / "server.log", extra_args=["--insecure-no-auth"])
    server.command_line = lambda: [str(tessera_binary()), "serve", "--bind", "0.0.0.0", "--port", str(server.port),
                                   "--dbpath", str(server.dbpath), "--insecure-no-auth"]
    server.start()
    try:
        assert "without --auth" in server.log_text()
    finally:
        assert server.stop() == 0


def test_auth_from_the_config_file(tmp_path):
    config = tmp_path / "tessera.json"
    config.write_text('{"auth": true}')
    server = TesseraServer(tmp_path / "db", tmp_path / "server.log", extra_args=["--config", str(config)])
    server.start()
    try:
        with server.client() as anonymous:
            assert code_of(lambda: anonymous.test.c.find_one()) == 13
    finally:
        assert server.stop() == 0


from test_cclient import cclient  # noqa: E402,F401  (the libmongoc client, built once per module)


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-256", "SCRAM-SHA-1"])
def test_c_driver_authenticates(cclient, auth_server, admin, mechanism):
    database = "cdb" + mechanism[-1]
    admin.drop_database(database)
    make_user(admin, database, "cuser", ["readWrite"])
    uri = (f"mongodb://cuser:cuser-pw@127.0.0.1:{auth_server.port}/?directConnection=true"
           f"&authSource={database}&authMechanism={mechanism}")
    run = subprocess.run([str(cclient), uri, database], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, f"C client failed:\nstdout:\n{run.stdout}\nstderr:\n{run.stderr}"
    assert run.stdout.splitlines()[:2] == ["ping ok", "inserted 5"]
    assert admin[database]["items"].count_documents({}) == 5
    denied = subprocess.run([str(cclient), uri, "elsewhere"], capture_output=True, text=True, timeout=60)
    assert denied.returncode != 0


def test_custom_roles(auth_server, admin):
    admin.roles_db.public.insert_one({"_id": 1})
    admin.roles_db.private.insert_one({"_id": 1})
    for role in ("publicReader", "publicWriter"):
        try:
            admin.roles_db.command("dropRole", role)
        except OperationFailure:
            pass
    admin.roles_db.command("createRole", "publicReader", roles=[], privileges=[
        {"resource": {"db": "roles_db", "collection": "public"}, "actions": ["find"]}])
    assert code_of(lambda: admin.roles_db.command("createRole", "publicReader", roles=[], privileges=[])) == 51002
    assert code_of(lambda: admin.roles_db.command("createRole", "bad", roles=[], privileges=[
        {"resource": {"db": "other", "collection": ""}, "actions": ["find"]}])) == 2
    assert code_of(lambda: admin.roles_db.command("createRole", "bad", roles=[], privileges=[
        {"resource": {"db": "roles_db", "collection": ""}, "actions": ["fly"]}])) == 2
    admin.roles_db.command("createRole", "publicWriter", roles=["publicReader"], privileges=[])
    assert code_of(lambda: admin.roles_db.command("grantRolesToRole", "publicReader", roles=["publicWriter"])) == 49
    make_user(admin, "roles_db", "pub", ["publicWriter"])
    with login(auth_server, "pub", "pub-pw", "roles_db") as client:
        assert client.roles_db.public.find_one() == {"_id": 1}
        assert code_of(lambda: client.roles_db.private.find_one()) == 13
        assert code_of(lambda: client.roles_db.public.insert_one({"_id": 2})) == 13
        admin.roles_db.command("grantPrivilegesToRole", "publicWriter", privileges=[
            {"resource": {"db": "roles_db", "collection": "public"}, "actions": ["insert"]}])
        client.roles_db.public.insert_one({"_id": 2})
        info = admin.roles_db.command("rolesInfo", "publicWriter", showPrivileges=True)["roles"][0]
        assert info["isBuiltin"] is False and info["inheritedRoles"] == [{"role": "publicReader", "db": "roles_db"}]
        assert {"resource": {"db": "roles_db", "collection": "public"}, "actions": ["insert"]} in info["privileges"]
        admin.roles_db.command("revokePrivilegesFromRole", "publicWriter", privileges=[
            {"resource": {"db": "roles_db", "collection": "public"}, "actions": ["insert"]}])
        assert code_of(lambda: client.roles_db.public.insert_one({"_id": 3})) == 13
        admin.roles_db.command("dropRole", "publicReader")
        assert code_of(lambda: client.roles_db.public.find_one()) == 13
        assert admin.roles_db.command("rolesInfo", "publicWriter")["roles"][0]["roles"] == []
    assert admin.roles_db.command("rolesInfo", "read")["roles"][0]["isBuiltin"] is True
    assert code_of(lambda: admin.roles_db.command("dropRole", "nothing")) == 31


def test_list_commands_says_which_commands_need_a_login(auth_server, admin):
    commands = admin.admin.command("listCommands")["commands"]
    for name in ("hello", "isMaster", "saslStart", "saslContinue", "logout", "ping"):
        assert commands[name]["requiresAuth"] is False, name
    for name in ("find", "insert", "createUser", "dropDatabase", "listCommands", "serverStatus"):
        assert commands[name]["requiresAuth"] is True, name
    # What listCommands says matches what the server does before a login.
    with auth_server.client() as anonymous:
        assert anonymous.admin.command("ping")["ok"] == 1
        with pytest.raises(OperationFailure) as refused:
            anonymous.admin.command("listCommands")
        assert refused.value.code == 13
