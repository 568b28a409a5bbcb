# The awaitable hello of the SDAM streaming protocol (issue 16): raw OP_MSG frames for the
# wait, the exhaust stream of hello replies, bad maxAwaitTimeMS values and shutdown, and
# pymongo in streaming mode for a minute (heartbeats, pool clears, the server's CPU time).

from __future__ import annotations

import os
import socket
import struct
import threading
import time

import bson
from bson.decimal128 import Decimal128
from bson.int64 import Int64
from pymongo import monitoring

import rawwire

HANG = 20.0  # seconds: only to detect a hang, never a timing assertion


def current_topology(conn: rawwire.RawConnection) -> dict:
    reply = conn.command({"hello": 1, "$db": "admin"})
    assert reply["ok"] == 1.0
    return reply["topologyVersion"]


def awaitable_hello(topology: dict, max_await_ms, exhaust: bool = False) -> bytes:
    body = {"hello": 1, "topologyVersion": topology, "maxAwaitTimeMS": max_await_ms, "$db": "admin"}
    return rawwire.op_msg(body, flags=rawwire.EXHAUST_ALLOWED if exhaust else 0)


def request_id(frame: bytes) -> int:
    return struct.unpack("<i", frame[4:8])[0]


def awaiting_topology_changes(conn: rawwire.RawConnection) -> int:
    return conn.command({"serverStatus": 1, "$db": "admin"})["connections"]["awaitingTopologyChanges"]


def wait_until_no_hello_waits(port: int) -> int:
    """serverStatus's awaitingTopologyChanges once it reaches 0 (or after a few seconds)."""
    with rawwire.RawConnection(port, timeout=HANG) as conn:
        deadline = time.monotonic() + 5.0
        while True:
            waiting = awaiting_topology_changes(conn)
            if waiting == 0 or time.monotonic() > deadline:
                return waiting
            time.sleep(0.05)


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- raw frames ---------------------------------------------------------------------------

def test_awaitable_hello_answers_after_max_await_time(server):
    with rawwire.RawConnection(server.port, timeout=HANG) as conn:
        topology = current_topology(conn)
        frame = awaitable_hello(topology, 500)
        started = time.monotonic()
        conn.send(frame)
        reply = conn.receive()
        elapsed = time.monotonic() - started
        assert reply is not None and reply.document["ok"] == 1.0
        assert elapsed >= 0.4, f"answered after {elapsed:.3f}s"
        assert reply.response_to == request_id(frame)
        assert not reply.flags & rawwire.MORE_TO_COME
        assert reply.document["topologyVersion"] == topology
        assert conn.command({"ping": 1, "$db": "admin"})["ok"] == 1.0


def test_a_hello_from_another_process_or_an_old_topology_answers_at_once(server):
    with rawwire.RawConnection(server.port, timeout=HANG) as conn:
        topology = current_topology(conn)
        other = {"processId": bson.ObjectId(), "counter": Int64(topology["counter"])}
        started = time.monotonic()
        conn.send(awaitable_hello(other, 5_000))
        reply = conn.receive()
        assert reply is not None and reply.document["ok"] == 1.0
        assert time.monotonic() - started < 2.0
        assert reply.document["topologyVersion"] == topology
        # A counter ahead of the server's is an error (mongod's 31382), at once.
        ahead = {"processId": topology["processId"], "counter": Int64(topology["counter"] + 1)}
        started = time.monotonic()
        conn.send(awaitable_hello(ahead, 5_000))
        reply = conn.receive()
        assert reply is not None and reply.document["code"] == 31382
        assert time.monotonic() - started < 2.0


def test_exhaust_hello_streams_replies_flagged_more_to_come(private_server, figures):
    # A server of its own: drivers' monitors on the shared one stream awaitable hellos too,
    # so its count of waiting hellos never drops to 0.
    server = private_server
    with rawwire.RawConnection(server.port, timeout=HANG) as conn:
        topology = current_topology(conn)
        frame = awaitable_hello(topology, 200, exhaust=True)
        started = time.monotonic()
        conn.send(frame)
        replies = []
        for _ in range(4):
            reply = conn.receive()
            assert reply is not None, "server closed the connection mid-stream"
            replies.append(reply)
        elapsed = time.monotonic() - started
        assert all(r.flags & rawwire.MORE_TO_COME for r in replies)
        assert all(r.document["ok"] == 1.0 and r.document["topologyVersion"] == topology for r in replies)
        # One request, a stream of replies: the first answers it, each next one the previous.
        assert replies[0].response_to == request_id(frame)
        for previous, reply in zip(replies, replies[1:]):
            assert reply.response_to == previous.request_id
        assert elapsed >= 4 * 0.2 * 0.8, f"4 replies in {elapsed:.3f}s: the stream did not wait"
        figures(f"exhaust hello: 4 replies at maxAwaitTimeMS=200 in {elapsed:.2f}s")
        # Another request ends the stream: one last hello reply without moreToCome, then the ping's.
        ping = rawwire.op_msg({"ping": 1, "$db": "admin"})
        conn.send(ping)
        while True:
            reply = conn.receive()
            assert reply is not None
            if reply.response_to == request_id(ping):
                break
            assert "isWritablePrimary" in reply.document
            last_hello = reply
        assert not last_hello.flags & rawwire.MORE_TO_COME
        assert reply.document["ok"] == 1.0 and not reply.flags & rawwire.MORE_TO_COME
        assert conn.command({"ping": 1, "$db": "admin"})["ok"] == 1.0
        # A client that closes mid-stream leaves nothing waiting behind it.
        conn.send(awaitable_hello(topology, 60_000, exhaust=True))
        time.sleep(0.1)
    assert wait_until_no_hello_waits(server.port) == 0


def test_a_stream_whose_client_stops_reading_stalls_instead_of_growing(server, figures):
    # maxAwaitTimeMS=0 asks for replies as fast as they can go: the stream must go at the
    # pace the socket takes them, not pile replies up in the server's memory.
    with rawwire.RawConnection(server.port, timeout=HANG) as conn:
        conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        topology = current_topology(conn)
        before = server.rss_kib()
        conn.send(awaitable_hello(topology, 0, exhaust=True))
        time.sleep(4.0)
        grown = server.rss_kib() - before
        for _ in range(10):
            reply = conn.receive()
            assert reply is not None and reply.flags & rawwire.MORE_TO_COME
    figures(f"exhaust hello at maxAwaitTimeMS=0, client not reading for 4 s: server RSS grew {grown} KiB")
    assert grown < 2 * 1024, f"server RSS grew {grown} KiB while the client did not read"
    with rawwire.RawConnection(server.port, timeout=HANG) as conn:
        assert conn.command({"ping": 1, "$db": "admin"})["ok"] == 1.0


def test_waiting_hellos_hold_no_thread(private_server, figures):
    server = private_server  # see above: the shared server has other waiting hellos
    waiting = [rawwire.RawConnection(server.port, timeout=HANG) for _ in range(20)]
    try:
        topology = current_topology(waiting[0])
        for conn in waiting:
            conn.send(awaitable_hello(topology, 3_000))
        time.sleep(0.2)
        with rawwire.RawConnection(server.port, timeout=HANG) as other:
            started = time.monotonic()
            assert other.command({"ping": 1, "$db": "admin"})["ok"] == 1.0
            ping = time.monotonic() - started
            count_reply = other.command({"count": "c", "$db": "t_awaitable_hello"})
            assert count_reply["ok"] == 1.0
            assert awaiting_topology_changes(other) >= 20
        assert ping < 1.0, f"ping took {ping:.3f}s while 20 hellos waited"
        figures(f"ping while 20 awaitable hellos wait: {ping * 1000:.1f} ms")
        for conn in waiting:
            reply = conn.receive()
            assert reply is not None and reply.document["ok"] == 1.0
    finally:
        for conn in waiting:
            conn.close()
    assert wait_until_no_hello_waits(server.port) == 0


def test_bad_max_await_time_gets_an_error_and_the_connection_stays_usable(server):
    with rawwire.RawConnection(server.port, timeout=HANG) as conn:
        topology = current_topology(conn)
        cases = {
            "negative": -1,
            "NaN": float("nan"),
            "Int64.max": Int64(2**63 - 1),
            "string": "500",
            "huge Decimal128": Decimal128("1E+6000"),
            "fraction": 0.5,
        }
        for name, value in cases.items():
            started = time.monotonic()
            reply = conn.command({"hello": 1, "topologyVersion": topology, "maxAwaitTimeMS": value, "$db": "admin"})
            assert reply["ok"] == 0.0, name
            assert isinstance(reply.get("code"), int) and reply["code"] > 0, name
            assert time.monotonic() - started < 2.0, name
            assert conn.command({"ping": 1, "$db": "admin"})["ok"] == 1.0, name
        missing = conn.command({"hello": 1, "maxAwaitTimeMS": 10, "$db": "admin"})
        assert missing["code"] == 31368
        missing = conn.command({"hello": 1, "topologyVersion": topology, "$db": "admin"})
        assert missing["code"] == 31368
        assert conn.command({"hello": 1, "topologyVersion": topology, "maxAwaitTimeMS": -1, "$db": "admin"})["code"] == 51024


def test_shutdown_answers_a_streaming_hello_at_once(private_server, figures):
    with rawwire.RawConnection(private_server.port, timeout=HANG) as conn:
        topology = current_topology(conn)
        conn.send(awaitable_hello(topology, 30_000, exhaust=True))
        time.sleep(0.3)
        process = private_server.process
        started = time.monotonic()
        process.terminate()
        reply = conn.receive()
        answered = time.monotonic() - started
        assert reply is not None, "no reply before the close"
        assert reply.document["code"] == 91 and reply.document["codeName"] == "ShutdownInProgress"
        assert reply.document["topologyVersion"]["processId"] == topology["processId"]
        assert reply.document["topologyVersion"]["counter"] == topology["counter"] + 1
        assert not reply.flags & rawwire.MORE_TO_COME
        assert conn.is_closed_by_peer(wait=HANG)
        code = process.wait(HANG)
        exited = time.monotonic() - started
    private_server.process = None
    private_server.exit_codes.append(code)
    assert code == 0
    assert answered < 2.0 and exited < 5.0, f"reply after {answered:.2f}s, exit after {exited:.2f}s"
    figures(f"SIGTERM with a streaming hello: reply after {answered * 1000:.0f} ms, exit after {exited:.2f} s")


# -- pymongo in streaming mode ------------------------------------------------------------

def _recorder():
    """pymongo listeners for heartbeats, pool clears and server changes, and their counters."""
    counts = {"succeeded": 0, "awaited": 0, "failed": [], "cleared": 0, "unknown": 0}
    lock = threading.Lock()

    class Heartbeats(monitoring.ServerHeartbeatListener):
        def started(self, event):
            pass

        def succeeded(self, event):
            with lock:
                counts["succeeded"] += 1
                counts["awaited"] += 1 if event.awaited else 0

        def failed(self, event):
            with lock:
                counts["failed"].append(repr(event.reply))

    class Pool(monitoring.ConnectionPoolListener):
        def pool_created(self, event): pass
        def pool_ready(self, event): pass
        def pool_closed(self, event): pass
        def connection_created(self, event): pass
        def connection_ready(self, event): pass
        def connection_closed(self, event): pass
        def connection_check_out_started(self, event): pass
        def connection_check_out_failed(self, event): pass
        def connection_checked_out(self, event): pass
        def connection_checked_in(self, event): pass

        def pool_cleared(self, event):
            with lock:
                counts["cleared"] += 1

    class Servers(monitoring.ServerListener):
        def opened(self, event): pass
        def closed(self, event): pass

        def description_changed(self, event):
            if event.new_description.server_type_name == "Unknown":
                with lock:
                    counts["unknown"] += 1

    return counts, [Heartbeats(), Pool(), Servers()]


def test_pymongo_streams_a_quiet_minute_without_losing_the_server(server, figures):
    counts, listeners = _recorder()
    client = server.client(serverMonitoringMode="stream", heartbeatFrequencyMS=500, event_listeners=listeners)
    try:
        coll = client["t_awaitable_hello"]["c"]
        coll.drop()
        time.sleep(1.0)  # let the monitor reach its streaming state before measuring
        cpu_before = cpu_seconds(server.pid)
        start = {"succeeded": counts["succeeded"], "awaited": counts["awaited"]}
        started = time.monotonic()
        n = 0
        while time.monotonic() - started < 60.0:
            coll.insert_one({"n": n})
            assert coll.count_documents({}) == n + 1
            n += 1
            time.sleep(2.0)
        cpu = cpu_seconds(server.pid) - cpu_before
        heartbeats = counts["succeeded"] - start["succeeded"]
        awaited = counts["awaited"] - start["awaited"]
        failed, cleared, unknown = list(counts["failed"]), counts["cleared"], counts["unknown"]
    finally:
        client.close()
    figures(f"pymongo stream mode, 60 s (heartbeatFrequencyMS=500, {n} writes): {heartbeats} heartbeats, "
            f"{awaited} awaited, {len(failed)} failed, {cleared} pool clears, "
            f"{unknown} changes to Unknown; server CPU {cpu:.2f} s")
    assert failed == []
    assert cleared == 0
    assert unknown == 0
    assert 60 <= heartbeats < 1_000
    assert awaited >= heartbeats - 2
    assert cpu < 5.0, f"{cpu:.2f} s of CPU in an idle minute"

