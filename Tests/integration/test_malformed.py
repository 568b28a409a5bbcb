# Bad input over raw sockets: frames built by hand with wrong lengths, bad opcodes, truncated
# or invalid BSON, bad CRC-32C checksums, oversized messages, unknown flags and sections,
# broken OP_COMPRESSED, garbage bytes. Each must get an error reply (ok: 0 with a code) or a
# clean close; afterwards a fresh pymongo client still works and data committed before is
# intact.

import random
import socket
import struct

import bson
import pytest

import rawwire
from rawwire import OP_COMPRESSED, OP_MSG, header, next_request_id

SEED_DOCS = [{"_id": i, "v": f"value-{i}"} for i in range(100)]


@pytest.fixture(scope="module")
def committed(client):
    """Data committed before any bad input; checked after every case."""
    coll = client["malformed_guard"]["docs"]
    coll.drop()
    coll.insert_many(SEED_DOCS)
    yield coll
    client.drop_database("malformed_guard")


def check_server_healthy(server, committed):
    with server.client(serverSelectionTimeoutMS=5000) as fresh:
        assert fresh.admin.command("ping")["ok"] == 1
        docs = list(fresh["malformed_guard"]["docs"].find({}, sort=[("_id", 1)]))
        assert docs == SEED_DOCS


def expect_error_or_close(conn: rawwire.RawConnection, timeout: float = 10.0) -> str:
    """Returns "closed" or "error"; fails on a success reply or on silence."""
    conn.sock.settimeout(timeout)
    try:
        reply = conn.receive()
    except socket.timeout:
        pytest.fail(f"server neither replied nor closed within {timeout}s")
    except (ValueError, struct.error) as error:
        pytest.fail(f"server sent an unparseable reply: {error}")
    if reply is None:
        return "closed"
    document = reply.document
    assert document.get("ok") == 0, f"malformed input got a success reply: {document}"
    assert isinstance(document.get("code"), int), f"error reply without code: {document}"
    assert isinstance(document.get("errmsg"), str)
    return "error"


def msg_with_payload(payload: bytes, opcode: int = OP_MSG, length: int | None = None) -> bytes:
    size = 16 + len(payload) if length is None else length
    return header(size, next_request_id(), 0, opcode) + payload


def op_msg_body(raw_document: bytes, flags: int = 0) -> bytes:
    return struct.pack("<I", flags) + b"\x00" + raw_document


PING = bson.encode({"ping": 1, "$db": "admin"})

# Invalid BSON: declared lengths that disagree with the content, bad type bytes, missing
# terminators, strings without their NUL.
INVALID_BSON = {
    "document_length_too_big": struct.pack("<i", len(PING) + 10) + PING[4:],
    "document_length_too_small": struct.pack("<i", 5) + PING[4:],
    "unknown_element_type": struct.pack("<i", 12) + b"\x55a\x00\x01\x00\x00\x00\x00",
    "missing_terminator": PING[:-1] + b"\x01",
    "string_length_overruns": struct.pack("<i", 18) + b"\x02s\x00\xff\x00\x00\x00abc\x00\x00",
    "string_without_nul": struct.pack("<i", 16) + b"\x02s\x00\x04\x00\x00\x00abcd\x00",
    "negative_length": struct.pack("<i", -20) + PING[4:],
}


def cases():
    """(name, bytes to send, half-close after sending)."""
    yield "length_zero", header(0, 1, 0, OP_MSG), False
    yield "length_below_header", struct.pack("<i", 10) + b"\x00" * 12, False
    yield "length_negative", header(-100, 1, 0, OP_MSG) + b"\x00" * 16, False
    # Oversized lengths with the rest never sent: the server may wait to skip the frame (it
    # must not drop the connection on size alone), so we half-close and expect a clean end.
    # test_oversized_but_complete_message_gets_error sends a whole oversized frame.
    yield "length_over_48MB_then_close", header(48_000_001, 1, 0, OP_MSG) + op_msg_body(PING), True
    yield "length_far_over_limit_then_close", header(0x7FFFFFFF, 1, 0, OP_MSG) + op_msg_body(PING), True
    yield "length_larger_than_sent_then_close", msg_with_payload(op_msg_body(PING), length=200), True
    yield "bad_opcode", msg_with_payload(op_msg_body(PING), opcode=9999), False
    yield "removed_opcode_op_insert", msg_with_payload(struct.pack("<i", 0) + b"db.c\x00" + PING, opcode=2002), False
    yield "truncated_bson", msg_with_payload(op_msg_body(PING[:-6])), False
    yield "message_shorter_than_flags", msg_with_payload(b"\x00\x00"), False
    yield "no_body_section", msg_with_payload(struct.pack("<I", 0)), False
    yield "unknown_section_kind", msg_with_payload(struct.pack("<I", 0) + b"\x07" + PING), False
    yield "two_body_sections", msg_with_payload(op_msg_body(PING) + b"\x00" + PING), False
    yield "unknown_required_flag_bit", msg_with_payload(op_msg_body(PING, flags=1 << 5)), False
    yield "sequence_length_overruns", msg_with_payload(
        op_msg_body(bson.encode({"insert": "c", "$db": "malformed_scratch"}))
        + b"\x01" + struct.pack("<i", 500) + b"documents\x00" + bson.encode({"_id": 1})), False
    for name, raw in INVALID_BSON.items():
        yield f"invalid_bson_{name}", msg_with_payload(op_msg_body(raw)), False
    good = rawwire.op_msg({"ping": 1, "$db": "admin"}, checksum=True)
    bad_crc = good[:-4] + struct.pack("<I", (struct.unpack("<I", good[-4:])[0] ^ 0xDEADBEEF))
    yield "bad_crc32c_checksum", bad_crc, False
    yield "checksum_flag_without_checksum", rawwire.op_msg({"ping": 1, "$db": "admin"},
                                                           flags=rawwire.CHECKSUM_PRESENT), False
    inner = rawwire.op_msg({"ping": 1, "$db": "admin"})
    yield "compressed_unknown_compressor", msg_with_payload(
        struct.pack("<iiB", OP_MSG, len(inner) - 16, 77) + inner[16:], opcode=OP_COMPRESSED), False
    yield "compressed_corrupt_zlib", msg_with_payload(
        struct.pack("<iiB", OP_MSG, len(inner) - 16, 2) + b"not zlib at all", opcode=OP_COMPRESSED), False
    yield "compressed_wrong_uncompressed_size", msg_with_payload(
        struct.pack("<iiB", OP_MSG, 5000, 2) + rawwire.compress("zlib", inner[16:]), opcode=OP_COMPRESSED), False
    yield "compressed_nested_compressed", msg_with_payload(
        struct.pack("<iiB", OP_COMPRESSED, 20, 0) + b"\x00" * 20, opcode=OP_COMPRESSED), False
    yield "http_request", b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", False
    rng = random.Random(20240505)
    for n in range(3):
        yield f"garbage_{n}", bytes(rng.randrange(256) for _ in range(64 + 100 * n)), False
    # Plausible header, random body. The flags keep their random illegal bits but not
    # moreToCome: a request that asks for no reply gets none, even when it fails.
    body = bytearray(rng.randrange(256) for _ in range(80))
    flags = struct.unpack("<I", body[:4])[0] & ~rawwire.MORE_TO_COME
    body[:4] = struct.pack("<I", flags)
    yield "random_body_valid_header", msg_with_payload(bytes(body)), False


CASES = list(cases())


@pytest.mark.parametrize("name,frame,half_close", CASES, ids=[c[0] for c in CASES])
def test_malformed_frame(server, committed, name, frame, half_close):
    with rawwire.RawConnection(server.port) as conn:
        try:
            conn.send(frame)
            if half_close:
                conn.sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server already closed: a clean close
        outcome = expect_error_or_close(conn)
        print(f"{name}: {outcome}")
    check_server_healthy(server, committed)


def test_valid_checksum_is_accepted(server):
    with rawwire.RawConnection(server.port) as conn:
        reply = conn.command({"ping": 1, "$db": "admin"}, checksum=True)
        assert reply["ok"] == 1


def test_oversized_but_complete_message_gets_error(server, committed):
    # A complete 48,000,016-byte message: the server must answer with an error (or close),
    # never buffer it as a command, and stay up.
    filler = b"x" * 48_000_000
    document = bson.encode({"ping": 1, "$db": "admin", "pad": filler.decode()})
    frame = msg_with_payload(op_msg_body(document))
    assert len(frame) > 48_000_000
    with rawwire.RawConnection(server.port, timeout=30) as conn:
        try:
            conn.send(frame)
        except (BrokenPipeError, ConnectionResetError):
            pass
        expect_error_or_close(conn, timeout=30)
    check_server_healthy(server, committed)


def test_error_reply_keeps_connection_usable_for_command_errors(server):
    # A well-framed message whose command is invalid is a command error, not a framing one:
    # the connection stays open for the next request.
    with rawwire.RawConnection(server.port) as conn:
        reply = conn.command({"noSuchCommand": 1, "$db": "admin"})
        assert reply["ok"] == 0 and reply["code"] == 59
        assert conn.command({"ping": 1, "$db": "admin"})["ok"] == 1


def test_missing_db_field_is_error(server):
    with rawwire.RawConnection(server.port) as conn:
        reply = conn.command({"ping": 1})
        assert reply["ok"] == 0 and isinstance(reply["code"], int)


def test_many_bad_connections_at_once_do_not_disturb_good_ones(server, committed):
    bad = [rawwire.RawConnection(server.port) for _ in range(50)]
    try:
        for n, conn in enumerate(bad):
            conn.send(header(1000, n, 0, OP_MSG) + b"\x00" * 10)  # incomplete, left hanging
        check_server_healthy(server, committed)
    finally:
        for conn in bad:
            conn.close()
    check_server_healthy(server, committed)
