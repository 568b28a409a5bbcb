# Waiting feed getMores hold no thread (issue 14): many change streams and awaitData tailable
# cursors parked with maxAwaitTimeMS 600000 while other clients are served at once; a write
# wakes them; kills, closes and SIGTERM end the waits promptly. Raw OP_MSG frames throughout.

from __future__ import annotations

import signal
import time

from bson.int64 import Int64

import rawwire

HANG = 20.0  # seconds: only to detect a hang
PROMPT = 2.0  # seconds: the bound the brief's "within 1 s" is asserted with (a hang guard)
LONG_WAIT = 600_000  # milliseconds a waiting getMore asks for
STREAMS = 12
TAILS = 4


def command(conn: rawwire.RawConnection, body: dict) -> dict:
    reply = conn.command(body)
    assert reply["ok"] == 1.0, reply
    return reply


def open_change_stream(port: int, database: str, collection: str) -> tuple[rawwire.RawConnection, int]:
    conn = rawwire.RawConnection(port, timeout=HANG)
    reply = command(conn, {"aggregate": collection, "pipeline": [{"$changeStream": {}}], "cursor": {},
                           "$db": database})
    return conn, reply["cursor"]["id"]


def open_tailable(port: int, database: str, collection: str) -> tuple[rawwire.RawConnection, int]:
    conn = rawwire.RawConnection(port, timeout=HANG)
    reply = command(conn, {"find": collection, "filter": {}, "tailable": True, "awaitData": True, "$db": database})
    assert reply["cursor"]["id"] != 0
    return conn, reply["cursor"]["id"]


def get_more(conn: rawwire.RawConnection, cursor_id, database: str, collection: str,
             max_await_ms=LONG_WAIT) -> None:
    """Sends a getMore without reading its reply (it waits on the server)."""
    conn.send(rawwire.op_msg({"getMore": Int64(cursor_id), "collection": collection,
                              "maxAwaitTimeMS": max_await_ms, "$db": database}))


def timed(action) -> tuple[object, float]:
    started = time.monotonic()
    result = action()
    return result, time.monotonic() - started


def current_connections(conn: rawwire.RawConnection) -> int:
    return command(conn, {"serverStatus": 1, "$db": "admin"})["connections"]["current"]


def parked_getmores(conn: rawwire.RawConnection) -> int:
    return command(conn, {"serverStatus": 1, "$db": "admin"})["connections"]["awaitingFeedGetMores"]


def settled_connections(conn: rawwire.RawConnection) -> int:
    """serverStatus's current connections once closes under way have landed."""
    previous = current_connections(conn)
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now = current_connections(conn)
        if now == previous:
            return now
        previous = now
    return previous


def setup_capped(port: int, database: str) -> None:
    with rawwire.RawConnection(port, timeout=HANG) as admin:
        admin.command({"dropDatabase": 1, "$db": database})
        command(admin, {"create": "cap", "capped": True, "size": 1 << 20, "$db": database})
        command(admin, {"insert": "cap", "documents": [{"_id": 0}], "$db": database})


def park_waiters(port: int, database: str) -> list[tuple[rawwire.RawConnection, str, int]]:
    """STREAMS change streams and TAILS tailable cursors on db.cap, each with a getMore waiting."""
    waiters = []
    for _ in range(STREAMS):
        conn, cursor = open_change_stream(port, database, "cap")
        get_more(conn, cursor, database, "cap")
        waiters.append((conn, "stream", cursor))
    for _ in range(TAILS):
        conn, cursor = open_tailable(port, database, "cap")
        get_more(conn, cursor, database, "cap")
        waiters.append((conn, "tail", cursor))
    time.sleep(0.3)  # let every getMore reach the server and park
    return waiters


def test_waiting_feed_getmores_hold_no_thread(server, figures):
    database = "t_await_threads"
    setup_capped(server.port, database)
    with rawwire.RawConnection(server.port, timeout=HANG) as other:
        baseline = settled_connections(other)
        waiters = park_waiters(server.port, database)
        try:
            # 16 getMores wait for ten minutes each; a pool of 8 threads would be stopped.
            reply, count_seconds = timed(lambda: command(other, {"count": "cap", "$db": database}))
            assert reply["n"] == 1
            _, insert_seconds = timed(lambda: command(
                other, {"insert": "cap", "documents": [{"_id": 1, "x": "wake"}], "$db": database}))
            assert count_seconds < PROMPT, f"count took {count_seconds:.3f}s"
            assert insert_seconds < PROMPT, f"insert took {insert_seconds:.3f}s"
            # The insert wakes every waiting getMore with the new document.
            woken_started = time.monotonic()
            slowest = 0.0
            for conn, kind, _ in waiters:
                answer = conn.receive()
                slowest = max(slowest, time.monotonic() - woken_started)
                assert answer is not None and answer.document["ok"] == 1.0, answer and answer.document
                batch = answer.document["cursor"]["nextBatch"]
                assert len(batch) == 1, (kind, batch)
                if kind == "stream":
                    assert batch[0]["operationType"] == "insert"
                    assert batch[0]["documentKey"] == {"_id": 1}
                else:
                    assert batch[0] == {"_id": 1, "x": "wake"}
            assert slowest < PROMPT, f"the last waiter was answered after {slowest:.3f}s"
            # Park them all again, then close the clients: the server lets everything go.
            for conn, _, cursor in waiters:
                get_more(conn, cursor, database, "cap")
            time.sleep(0.3)
            during = current_connections(other)
            assert during >= STREAMS + TAILS + 1, during  # the waiters and this connection
            parked = parked_getmores(other)
            assert parked == STREAMS + TAILS
        finally:
            for conn, _, _ in waiters:
                conn.close()
        deadline = time.monotonic() + 5.0
        after = current_connections(other)
        while after > baseline and time.monotonic() < deadline:
            time.sleep(0.05)
            after = current_connections(other)
        assert after <= baseline, f"connections {after} after close, {baseline} before"
        deadline = time.monotonic() + 5.0
        while parked_getmores(other) > 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert parked_getmores(other) == 0
        _, ping_seconds = timed(lambda: command(other, {"ping": 1, "$db": "admin"}))
    figures(f"{STREAMS} change streams + {TAILS} awaitData cursors waiting: count {count_seconds * 1000:.1f} ms, "
            f"insert {insert_seconds * 1000:.1f} ms, all {STREAMS + TAILS} woken within {slowest * 1000:.1f} ms; "
            f"connections {baseline} -> {during} -> {after}, parked getMores {parked} -> 0")


def test_a_closed_waiting_client_frees_its_wait(server):
    database = "t_await_close"
    setup_capped(server.port, database)
    with rawwire.RawConnection(server.port, timeout=HANG) as other:
        baseline = settled_connections(other)
        for _ in range(3):
            waiters = park_waiters(server.port, database)
            for conn, _, _ in waiters:
                conn.close()
        deadline = time.monotonic() + 5.0
        while current_connections(other) > baseline and time.monotonic() < deadline:
            time.sleep(0.05)
        assert current_connections(other) <= baseline
        # Nothing left parked reacts to a write.
        _, seconds = timed(lambda: command(other, {"insert": "cap", "documents": [{"_id": 9}], "$db": database}))
        assert seconds < PROMPT


def test_a_waiting_getmore_answers_after_max_await_time_with_an_empty_batch(server):
    database = "t_await_timeout"
    setup_capped(server.port, database)
    conn, cursor = open_change_stream(server.port, database, "cap")
    with conn:
        get_more(conn, cursor, database, "cap", max_await_ms=300)
        answer, seconds = timed(conn.receive)
        assert answer.document["ok"] == 1.0
        assert answer.document["cursor"]["nextBatch"] == []
        assert answer.document["cursor"]["id"] == cursor
        assert 0.25 <= seconds < PROMPT, seconds


def test_kill_cursors_ends_a_waiting_getmore(server):
    database = "t_await_kill"
    setup_capped(server.port, database)
    conn, cursor = open_change_stream(server.port, database, "cap")
    with conn, rawwire.RawConnection(server.port, timeout=HANG) as other:
        get_more(conn, cursor, database, "cap")
        time.sleep(0.2)
        command(other, {"killCursors": "cap", "cursors": [Int64(cursor)], "$db": database})
        answer, seconds = timed(conn.receive)
        assert seconds < PROMPT
        assert answer.document["ok"] == 0.0
        assert answer.document["code"] == 43  # CursorNotFound: the cursor is gone


def test_kill_op_ends_a_waiting_getmore(server):
    database = "t_await_killop"
    setup_capped(server.port, database)
    conn, cursor = open_tailable(server.port, database, "cap")
    with conn, rawwire.RawConnection(server.port, timeout=HANG) as other:
        get_more(conn, cursor, database, "cap")
        time.sleep(0.2)
        ops = command(other, {"currentOp": 1, "$db": "admin"})["inprog"]
        waiting = [op for op in ops if op.get("command", {}).get("getMore") == cursor]
        assert len(waiting) == 1, ops
        command(other, {"killOp": 1, "op": waiting[0]["opid"], "$db": "admin"})
        answer, seconds = timed(conn.receive)
        assert seconds < PROMPT
        assert answer.document["ok"] == 0.0
        assert answer.document["code"] == 11601  # Interrupted


def test_max_await_time_ms_is_checked(server):
    database = "t_await_bad"
    setup_capped(server.port, database)
    conn, cursor = open_change_stream(server.port, database, "cap")
    with conn:
        for bad, code in [(-1, 2), (float("nan"), 2), ("soon", 14)]:
            reply = conn.command({"getMore": Int64(cursor), "collection": "cap", "maxAwaitTimeMS": bad,
                                  "$db": database})
            assert reply["ok"] == 0.0 and reply["code"] == code, (bad, reply)
        # A huge value is capped (24 h), not an error: a write still wakes it.
        conn2, cursor2 = open_change_stream(server.port, database, "cap")
        with conn2, rawwire.RawConnection(server.port, timeout=HANG) as other:
            get_more(conn2, cursor2, database, "cap", max_await_ms=Int64(2**62))
            time.sleep(0.2)
            command(other, {"insert": "cap", "documents": [{"_id": 5}], "$db": database})
            answer = conn2.receive()
            assert answer.document["ok"] == 1.0 and len(answer.document["cursor"]["nextBatch"]) == 1


def test_sigterm_with_parked_waits_exits_promptly(private_server, figures):
    database = "t_await_sigterm"
    setup_capped(private_server.port, database)
    waiters = park_waiters(private_server.port, database)
    try:
        process = private_server.process
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        answered = 0
        for conn, _, _ in waiters:
            reply = conn.receive()  # an answer (empty batch) or a close, not a wait
            answered += reply is not None
        code = process.wait(HANG)
        exited = time.monotonic() - started
    finally:
        for conn, _, _ in waiters:
            conn.close()
    private_server.process = None
    private_server.exit_codes.append(code)
    assert code == 0
    assert exited < 5.0, f"exit after {exited:.2f}s"
    figures(f"SIGTERM with {len(waiters)} parked feed getMores: {answered} answered, exit 0 after {exited:.2f} s")
