# Handshake and server commands drivers and tools call: hello/isMaster, ping, buildInfo,
# getParameter, getCmdLineOpts, serverStatus, hostInfo, whatsmyuri, connectionStatus,
# listCommands, session commands, getLog, currentOp, killOp, and the error shape of an
# unknown command (CommandNotFound, 59).

import datetime

import pytest
from bson import Int64
from pymongo.errors import OperationFailure

import rawwire


def test_hello_fields(client):
    reply = client.admin.command("hello")
    assert reply["ok"] == 1
    assert reply["isWritablePrimary"] is True
    assert reply["maxWireVersion"] >= 21  # MongoDB 7.0
    assert reply["minWireVersion"] <= reply["maxWireVersion"]
    assert reply["maxBsonObjectSize"] == 16 * 1024 * 1024
    assert reply["maxMessageSizeBytes"] == 48_000_000
    assert reply["maxWriteBatchSize"] == 100_000
    assert isinstance(reply["localTime"], datetime.datetime)
    assert reply["logicalSessionTimeoutMinutes"] == 30
    assert isinstance(reply["connectionId"], int) and reply["connectionId"] > 0
    assert reply.get("readOnly") is False


def test_is_master_legacy_name(client):
    reply = client.admin.command("isMaster")
    assert reply["ok"] == 1 and reply["ismaster"] is True
    assert reply["maxWireVersion"] >= 21


def test_legacy_op_query_is_master_gets_op_reply(server):
    with rawwire.RawConnection(server.port) as conn:
        conn.send(rawwire.op_query("admin.$cmd", {"isMaster": 1, "client": {"application": {"name": "raw"}}}))
        reply = conn.receive()
        assert reply is not None and reply.inner_opcode == rawwire.OP_REPLY
        assert reply.document["ok"] == 1 and reply.document["ismaster"] is True
        assert reply.document["maxWireVersion"] >= 21


def test_connection_ids_differ_per_connection(server):
    ids = set()
    for _ in range(3):
        with rawwire.RawConnection(server.port) as conn:
            ids.add(conn.command({"hello": 1, "$db": "admin"})["connectionId"])
    assert len(ids) == 3


def test_ping(client):
    assert client.admin.command("ping")["ok"] == 1


def test_build_info(client):
    info = client.admin.command("buildInfo")
    assert isinstance(info["version"], str)
    array = info["versionArray"]
    assert len(array) == 4 and all(isinstance(x, int) for x in array)
    assert info["version"].startswith(f"{array[0]}.{array[1]}.{array[2]}")
    assert array[0] >= 7
    assert info["maxBsonObjectSize"] == 16 * 1024 * 1024
    assert info["bits"] == 64


def test_get_parameter(client):
    reply = client.admin.command({"getParameter": 1, "featureCompatibilityVersion": 1})
    assert "version" in reply["featureCompatibilityVersion"]
    all_params = client.admin.command({"getParameter": "*"})
    assert all_params["ok"] == 1 and len(all_params) > 2
    with pytest.raises(OperationFailure):
        client.admin.command({"getParameter": 1, "noSuchParameterAtAll": 1})


def test_get_cmd_line_opts(client, server):
    reply = client.admin.command("getCmdLineOpts")
    argv = reply["argv"]
    assert str(server.port) in argv and "serve" in argv
    assert "parsed" in reply
    assert str(server.dbpath) in str(reply["parsed"])


def test_server_status(client):
    status = client.admin.command("serverStatus")
    assert status["ok"] == 1
    assert status["uptime"] >= 0 and "uptimeMillis" in status
    assert status["connections"]["current"] >= 1
    assert status["connections"]["totalCreated"] >= status["connections"]["current"]
    for key in ("insert", "query", "update", "delete", "getmore", "command"):
        assert key in status["opcounters"]
    assert status["mem"]["resident"] > 0
    assert "storageEngine" in status
    assert isinstance(status["process"], str) and isinstance(status["pid"], int)


def test_server_status_opcounters_increase(client, coll):
    before = client.admin.command("serverStatus")["opcounters"]
    coll.insert_many([{"i": i} for i in range(3)])
    coll.find_one()
    after = client.admin.command("serverStatus")["opcounters"]
    assert after["insert"] - before["insert"] >= 3  # counted per document
    assert after["query"] > before["query"]
    assert after["command"] > before["command"]


def test_host_info(client):
    info = client.admin.command("hostInfo")
    assert info["system"]["numCores"] >= 1
    assert info["system"]["memSizeMB"] > 0
    assert "hostname" in info["system"]
    assert "os" in info


def test_whatsmyuri(client):
    reply = client.admin.command("whatsmyuri")
    host, port = reply["you"].rsplit(":", 1)
    assert host == "127.0.0.1" and int(port) > 0


def test_connection_status(client):
    reply = client.admin.command("connectionStatus")
    assert reply["authInfo"]["authenticatedUsers"] == []
    assert reply["authInfo"]["authenticatedUserRoles"] == []


def test_list_commands(client):
    commands = client.admin.command("listCommands")["commands"]
    expected = {"hello", "isMaster", "ping", "buildInfo", "insert", "find", "getMore", "killCursors",
                "update", "delete", "findAndModify", "count", "distinct", "aggregate", "create",
                "drop", "dropDatabase", "renameCollection", "listDatabases", "listCollections",
                "createIndexes", "listIndexes", "dropIndexes", "collStats", "dbStats", "explain",
                "validate", "serverStatus", "endSessions", "killOp", "currentOp"}
    assert expected <= set(commands)
    assert all("help" in c or isinstance(c, dict) for c in commands.values())


def test_sessions_commands(client):
    started = client.admin.command("startSession")
    lsid = started["id"]
    assert "id" in lsid and started["timeoutMinutes"] == 30
    assert client.admin.command({"refreshSessions": [lsid]})["ok"] == 1
    assert client.admin.command({"endSessions": [lsid]})["ok"] == 1
    assert client.admin.command({"killSessions": []})["ok"] == 1


def test_pymongo_session_attaches_lsid(client, coll):
    with client.start_session() as session:
        coll.insert_one({"_id": 1}, session=session)
        assert coll.find_one({"_id": 1}, session=session) == {"_id": 1}


def test_killing_session_kills_its_cursors(client, db, coll):
    coll.insert_many([{"_id": i} for i in range(20)])
    with client.start_session() as session:
        reply = db.command({"find": coll.name, "batchSize": 2}, session=session)
        cursor_id = reply["cursor"]["id"]
        assert cursor_id != 0
        client.admin.command({"killSessions": [session.session_id]})
        with pytest.raises(OperationFailure) as info:
            db.command({"getMore": cursor_id, "collection": coll.name}, session=session)
        assert info.value.code == 43  # CursorNotFound


def test_get_log(client):
    names = client.admin.command({"getLog": "*"})["names"]
    assert "global" in names
    log = client.admin.command({"getLog": "global"})
    assert isinstance(log["log"], list) and log["totalLinesWritten"] >= 0
    assert "startupWarnings" in names


def test_current_op_and_kill_op(client):
    reply = client.admin.command("currentOp")
    assert isinstance(reply["inprog"], list)
    # The currentOp command itself is in progress while it runs.
    assert any(op.get("command", {}).get("currentOp") for op in reply["inprog"])
    mine = next(op for op in reply["inprog"] if op.get("command", {}).get("currentOp"))
    assert "opid" in mine and "active" in mine
    killed = client.admin.command({"killOp": 1, "op": 987654321})
    assert killed["ok"] == 1  # killing an unknown op id is not an error


def test_unknown_command_is_command_not_found(client):
    with pytest.raises(OperationFailure) as info:
        client.admin.command("definitelyNotACommand")
    assert info.value.code == 59
    assert info.value.details["codeName"] == "CommandNotFound"
    assert "definitelyNotACommand" in info.value.details["errmsg"]
    assert info.value.details["ok"] == 0


def test_errors_carry_code_codename_errmsg(db):
    with pytest.raises(OperationFailure) as info:
        db.command({"find": "c", "filter": {"$notAnOperator": 1}})
    details = info.value.details
    assert details["ok"] == 0 and isinstance(details["code"], int)
    assert isinstance(details["codeName"], str) and details["codeName"]
    assert isinstance(details["errmsg"], str) and details["errmsg"]
    assert details["code"] == 2  # BadValue: unknown top level operator


def test_max_time_ms_and_comment_accepted(coll):
    coll.insert_many([{"_id": i} for i in range(5)])
    docs = list(coll.find({}, max_time_ms=10_000, comment="hi"))
    assert len(docs) == 5
    assert coll.database.command({"count": coll.name, "maxTimeMS": 10_000, "comment": "c"})["n"] == 5
    assert list(coll.aggregate([{"$match": {}}], allowDiskUse=True, maxTimeMS=5000))


def test_hint_is_honoured_and_bad_hint_rejected(coll):
    coll.insert_many([{"_id": i, "a": i} for i in range(10)])
    coll.create_index("a")
    assert len(list(coll.find({"a": {"$gt": 4}}).hint("a_1"))) == 5
    with pytest.raises(OperationFailure) as info:
        list(coll.find({}).hint("no_such_index"))
    assert info.value.code == 2  # BadValue: hint provided does not correspond to an existing index


def test_long_cursor_ids_are_int64(db, coll):
    coll.insert_many([{"_id": i} for i in range(10)])
    cursor_id = db.command({"find": coll.name, "batchSize": 1})["cursor"]["id"]
    assert isinstance(cursor_id, Int64) and cursor_id != 0
    db.command({"killCursors": coll.name, "cursors": [cursor_id]})
