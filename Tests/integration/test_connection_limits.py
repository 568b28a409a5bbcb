# Resources one client can hold: the connection cap (--max-connections) refuses the one over
# it after a log line while the others keep working, and a connection stalled in the middle of
# a message (--partial-message-timeout) is closed while an idle one between messages is kept.

from __future__ import annotations

import socket
import time

import bson
import pytest

import rawwire
from tessera_server import TesseraServer


@pytest.fixture
def limited_server(tmp_path):
    server = TesseraServer(tmp_path / "db", tmp_path / "server.log",
                           extra_args=["--max-connections", "5", "--partial-message-timeout", "2"])
    server.start()
    yield server
    if server.running:
        assert server.stop() == 0, server.log_tail()


def ping(conn: rawwire.RawConnection) -> dict:
    conn.send(rawwire.op_msg({"ping": 1, "$db": "admin"}))
    reply = conn.receive()
    assert reply is not None, "connection closed"
    return reply.document


def closed_within(sock: socket.socket, seconds: float) -> bool:
    sock.settimeout(seconds)
    try:
        return sock.recv(1) == b""
    except socket.timeout:
        return False
    except ConnectionResetError:
        return True


def test_the_connection_over_the_cap_is_closed_and_the_others_still_work(limited_server):
    time.sleep(1.5)  # the start-up check's own connections close asynchronously
    held = [rawwire.RawConnection(limited_server.port) for _ in range(5)]
    try:
        for conn in held:
            assert ping(conn)["ok"] == 1
        extra = rawwire.RawConnection(limited_server.port)
        try:
            assert closed_within(extra.sock, 10), "the sixth connection was not closed"
        finally:
            extra.close()
        for conn in held:
            assert ping(conn)["ok"] == 1
        assert "too many open connections" in limited_server.log_text()
    finally:
        for conn in held:
            conn.close()
    # With the five gone, a new client gets in again.
    deadline = time.monotonic() + 10
    while True:
        try:
            with limited_server.client(serverSelectionTimeoutMS=2000) as client:
                assert client.admin.command("ping")["ok"] == 1
            break
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.mark.parametrize("sent", ["half a header", "a header without its body"])
def test_a_connection_stalled_inside_a_message_is_closed(limited_server, sent):
    message = rawwire.op_msg({"ping": 1, "$db": "admin", "pad": "x" * 1000})
    part = message[:7] if sent == "half a header" else message[:40]
    with rawwire.RawConnection(limited_server.port) as conn:
        conn.send(part)
        started = time.monotonic()
        assert closed_within(conn.sock, 15), "a stalled connection was kept open"
        elapsed = time.monotonic() - started
        assert elapsed >= 1.0, f"closed after {elapsed:.2f}s, before the 2 s timeout"
    with rawwire.RawConnection(limited_server.port) as conn:
        assert ping(conn)["ok"] == 1


def test_an_idle_connection_between_messages_is_kept(limited_server):
    with rawwire.RawConnection(limited_server.port) as conn:
        assert ping(conn)["ok"] == 1
        assert not closed_within(conn.sock, 5), "an idle connection was closed"
        assert ping(conn)["ok"] == 1


def test_bad_limits_refuse_to_start(tmp_path):
    for args in (["--max-connections", "0"], ["--partial-message-timeout", "0"], ["--max-connections", "-5"]):
        server = TesseraServer(tmp_path / "db", tmp_path / "server.log", extra_args=args)
        with pytest.raises(Exception):
            server.start(timeout=15)
        assert not server.running
