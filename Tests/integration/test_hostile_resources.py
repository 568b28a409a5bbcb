# Requests built to exhaust the server's memory or CPU (issue 14), against a real server:
# compression bombs (a declared size past the message limit, and a small frame that inflates
# to hundreds of MiB), a client that sends requests with large replies and never reads them
# (and a SIGTERM while it stalls), and a `$in` of 1,000,000 values. Each checks the answer (error code or result), that the
# server's resident memory stayed bounded, that it still serves other clients, and that data
# committed before is intact.

from __future__ import annotations

import socket
import struct
import time
import zlib

import pytest

import rawwire
from rawwire import OP_COMPRESSED, OP_MSG

SEED = [{"_id": i, "v": f"value-{i}"} for i in range(50)]
# What one hostile request may add to the server's resident set: far below what obeying it
# would take (hundreds of MiB to GiB).
RSS_BOUND_KIB = 150 * 1024


def _seed(server) -> None:
    with server.client() as client:
        client["hostile_guard"]["docs"].insert_many(SEED)


def _check_intact(server) -> None:
    assert server.running
    with server.client(serverSelectionTimeoutMS=5000) as fresh:
        assert fresh.admin.command("ping")["ok"] == 1
        assert list(fresh["hostile_guard"]["docs"].find({}, sort=[("_id", 1)])) == SEED


def _check_bounded_and_intact(server, figures, grown_kib: int, figure: str) -> None:
    """Reports `figure` with the server's RSS growth, checks the growth stayed under
    RSS_BOUND_KIB, then that the server serves and its data is intact."""
    figures(f"{figure}: server RSS +{grown_kib // 1024} MiB")
    assert grown_kib < RSS_BOUND_KIB, f"{figure}: the server grew by {grown_kib // 1024} MiB"
    _check_intact(server)


def _compressed_frame(declared_size: int, payload: bytes) -> bytes:
    """An OP_COMPRESSED (zlib) frame claiming an OP_MSG of `declared_size` bytes."""
    body = struct.pack("<iiB", OP_MSG, declared_size, 2) + payload
    return rawwire.header(16 + len(body), rawwire.next_request_id(), 0, OP_COMPRESSED) + body


def _zlib_zeros(mebibytes: int) -> bytes:
    """zlib of `mebibytes` MiB of zero bytes (about 1 KiB per MiB), built in chunks."""
    compressor = zlib.compressobj(9)
    chunk = bytes(1 << 20)
    parts = [compressor.compress(chunk) for _ in range(mebibytes)]
    parts.append(compressor.flush())
    return b"".join(parts)


def _expect_error_or_close(conn: rawwire.RawConnection) -> str:
    """"error" for an ok: 0 reply with a code, "closed" for a closed connection."""
    try:
        reply = conn.receive()
    except (ConnectionResetError, BrokenPipeError):
        return "closed"
    if reply is None:
        return "closed"
    assert reply.document.get("ok") == 0, reply.document
    assert isinstance(reply.document.get("code"), int), reply.document
    return "error"


BOMB_MIB = 512


@pytest.mark.parametrize("declared", [
    pytest.param(2**31 - 1, id="declared-size-past-the-message-limit"),
    pytest.param(1_000, id="declared-small-inflates-to-512MiB"),
    pytest.param(47_000_000, id="declared-47MB-inflates-to-512MiB"),
])
def test_compression_bomb_is_refused_without_inflating_it(private_server, figures, declared):
    server = private_server
    _seed(server)
    payload = _zlib_zeros(BOMB_MIB)
    before = server.rss_kib()
    with rawwire.RawConnection(server.port, timeout=30) as conn:
        try:
            conn.send(_compressed_frame(declared, payload))
        except (BrokenPipeError, ConnectionResetError):
            pass
        outcome = _expect_error_or_close(conn)
    _check_bounded_and_intact(server, figures, server.rss_kib() - before,
                              f"zlib bomb ({len(payload) // 1024} KiB inflating to {BOMB_MIB} MiB) "
                              f"declared {declared} bytes: {outcome}")


SILENT_REQUESTS = 200  # each answered with ~16 MiB: 3 GiB if the replies piled up


def _silent_client(server) -> socket.socket:
    """A connection that sent SILENT_REQUESTS finds with ~16 MiB replies and reads none."""
    with server.client() as client:
        big = client["hostile_guard"]["big"]
        blob = "x" * (1 << 20)
        big.insert_many([{"_id": i, "blob": blob} for i in range(16)])
    find = {"find": "big", "$db": "hostile_guard", "batchSize": 16, "singleBatch": True}
    silent = socket.create_connection(("127.0.0.1", server.port))
    silent.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    silent.sendall(b"".join(rawwire.op_msg(find) for _ in range(SILENT_REQUESTS)))
    return silent


def test_a_client_that_never_reads_its_replies_does_not_grow_the_server(private_server, figures):
    server = private_server
    _seed(server)
    before = server.rss_kib()
    peak = before
    silent = _silent_client(server)
    try:
        # Meanwhile another client is served, and the server's memory is sampled.
        with server.client() as other:
            for _ in range(30):
                assert other["hostile_guard"]["docs"].count_documents({}) == len(SEED)
                peak = max(peak, server.rss_kib())
                time.sleep(0.1)
    finally:
        silent.close()
    _check_bounded_and_intact(server, figures, peak - before, f"{SILENT_REQUESTS} finds of ~16 MiB each never read")


def test_sigterm_with_a_client_that_never_reads_exits_cleanly(private_server, figures):
    # The stalled connection holds a reply the socket will not take: shutdown closes it
    # (after at most the shutdown timeout) and exits 0, and the data is there after a restart.
    server = private_server
    _seed(server)
    silent = _silent_client(server)
    try:
        time.sleep(1.0)  # the replies stall
        started = time.monotonic()
        code = server.stop()
        seconds = time.monotonic() - started
    finally:
        silent.close()
    figures(f"SIGTERM with a client that never reads: exit {code} after {seconds:.2f} s")
    assert code == 0, server.log_tail()
    server.start()
    _check_intact(server)


def test_in_with_a_million_values_is_answered_and_matches_exactly(private_server, figures):
    server = private_server
    _seed(server)
    with server.client() as client:
        coll = client["hostile_guard"]["numbers"]
        coll.insert_many([{"_id": i, "n": i} for i in range(20_000)])
        values = list(range(0, 2_000_000, 2))
        assert len(values) == 1_000_000
        # The limit is a hang guard: matching 20,000 documents against a list of 1,000,000
        # linearly (2·10^10 comparisons) could not answer within it.
        started = time.monotonic()
        count = coll.count_documents({"n": {"$in": values}}, maxTimeMS=60_000)
        found = [d["_id"] for d in coll.find({"n": {"$in": values}}, {"_id": 1}, max_time_ms=60_000).sort("_id", 1)]
        seconds = time.monotonic() - started
        expected = [i for i in range(20_000) if i % 2 == 0]
        assert count == len(expected)
        assert found == expected
        figures(f"$in with 1,000,000 values over 20,000 documents: count + find in {seconds:.1f} s")
    _check_intact(server)
