# MongoDB wire-protocol frames built by hand (struct + pymongo's bson) for the tests that
# must talk below the driver: malformed input, OP_COMPRESSED round trips, OP_QUERY
# handshakes, CRC-32C checksums. Owns encoding requests and decoding replies; asserts
# nothing itself. Layouts follow MongoDB's wire protocol reference.

from __future__ import annotations

import itertools
import socket
import struct
import zlib
from dataclasses import dataclass

import bson

OP_REPLY = 1
OP_QUERY = 2004
OP_COMPRESSED = 2012
OP_MSG = 2013

CHECKSUM_PRESENT = 1 << 0
MORE_TO_COME = 1 << 1
EXHAUST_ALLOWED = 1 << 16

COMPRESSOR_IDS = {"noop": 0, "snappy": 1, "zlib": 2, "zstd": 3}

_request_ids = itertools.count(1000)


def next_request_id() -> int:
    return next(_request_ids)


# -- compression ----------------------------------------------------------------------------

def _zstd():
    try:
        from compression import zstd  # Python 3.14+
        return zstd
    except ImportError:
        pass
    try:
        from backports import zstd
        return zstd
    except ImportError:
        import zstandard
        return zstandard


def compress(name: str, data: bytes) -> bytes:
    if name == "noop":
        return data
    if name == "zlib":
        return zlib.compress(data)
    if name == "snappy":
        import snappy
        return snappy.compress(data)
    if name == "zstd":
        return _zstd().compress(data)
    raise ValueError(name)


def decompress(compressor_id: int, data: bytes) -> bytes:
    if compressor_id == 0:
        return data
    if compressor_id == 1:
        import snappy
        return snappy.uncompress(data)
    if compressor_id == 2:
        return zlib.decompress(data)
    if compressor_id == 3:
        return _zstd().decompress(data)
    raise ValueError(f"unknown compressor id {compressor_id}")


# -- CRC-32C (Castagnoli), reflected polynomial 0x82F63B78 ----------------------------------

def _crc_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC_TABLE = _crc_table()


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _CRC_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


# -- requests -------------------------------------------------------------------------------

def header(length: int, request_id: int, response_to: int, opcode: int) -> bytes:
    return struct.pack("<iiii", length, request_id, response_to, opcode)


def op_msg(body: dict | bytes, flags: int = 0, sequences: list[tuple[str, list[dict]]] | None = None,
           checksum: bool = False, request_id: int | None = None) -> bytes:
    """An OP_MSG: kind-0 body, optional kind-1 sequences, optional CRC-32C trailer."""
    body_bytes = body if isinstance(body, bytes) else bson.encode(body)
    payload = struct.pack("<I", flags | (CHECKSUM_PRESENT if checksum else 0))
    payload += b"\x00" + body_bytes
    for identifier, documents in sequences or []:
        docs = b"".join(bson.encode(d) for d in documents)
        section = identifier.encode() + b"\x00" + docs
        payload += b"\x01" + struct.pack("<i", 4 + len(section)) + section
    rid = request_id if request_id is not None else next_request_id()
    length = 16 + len(payload) + (4 if checksum else 0)
    message = header(length, rid, 0, OP_MSG) + payload
    if checksum:
        message += struct.pack("<I", crc32c(message))
    return message


def op_query(collection: str, query: dict, flags: int = 0, skip: int = 0, limit: int = -1) -> bytes:
    payload = struct.pack("<i", flags) + collection.encode() + b"\x00"
    payload += struct.pack("<ii", skip, limit) + bson.encode(query)
    return header(16 + len(payload), next_request_id(), 0, OP_QUERY) + payload


def op_compressed(message: bytes, compressor: str) -> bytes:
    """Wraps a complete message (header included) in OP_COMPRESSED."""
    _, request_id, response_to, opcode = struct.unpack("<iiii", message[:16])
    original = message[16:]
    compressed = compress(compressor, original)
    payload = struct.pack("<iiB", opcode, len(original), COMPRESSOR_IDS[compressor]) + compressed
    return header(16 + len(payload), request_id, response_to, OP_COMPRESSED) + payload


# -- replies --------------------------------------------------------------------------------

@dataclass
class Reply:
    opcode: int               # opcode on the wire (OP_COMPRESSED when compressed)
    response_to: int
    compressor_id: int | None  # set when the reply came compressed
    inner_opcode: int         # opcode after decompression
    flags: int
    document: dict
    request_id: int = 0


def parse_reply(raw: bytes) -> Reply:
    length, request_id, response_to, opcode = struct.unpack("<iiii", raw[:16])
    body = raw[16:length]
    compressor_id = None
    inner = opcode
    if opcode == OP_COMPRESSED:
        inner, size, compressor_id = struct.unpack("<iiB", body[:9])
        body = decompress(compressor_id, body[9:])
        if len(body) != size:
            raise ValueError(f"uncompressedSize {size} but {len(body)} bytes")
    if inner == OP_MSG:
        flags = struct.unpack("<I", body[:4])[0]
        if body[4] != 0:
            raise ValueError("reply's first section is not kind 0")
        size = struct.unpack("<i", body[5:9])[0]
        document = bson.decode(body[5:5 + size])
    elif inner == OP_REPLY:
        flags, _, _, count = struct.unpack("<iqii", body[:20])
        size = struct.unpack("<i", body[20:24])[0]
        document = bson.decode(body[20:20 + size]) if count else {}
    else:
        raise ValueError(f"unexpected reply opcode {inner}")
    return Reply(opcode, response_to, compressor_id, inner, flags, document, request_id)


class RawConnection:
    """A plain TCP socket to the server with message-level send and receive."""

    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = 10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)

    def close(self) -> None:
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _read_exactly(self, count: int) -> bytes | None:
        chunks = bytearray()
        while len(chunks) < count:
            chunk = self.sock.recv(count - len(chunks))
            if not chunk:
                return None
            chunks += chunk
        return bytes(chunks)

    def receive(self) -> Reply | None:
        """The next reply, or None when the server closed the connection."""
        try:
            head = self._read_exactly(16)
            if head is None:
                return None
            length = struct.unpack("<i", head[:4])[0]
            rest = self._read_exactly(length - 16)
        except ConnectionResetError:
            return None
        if rest is None:
            return None
        return parse_reply(head + rest)

    def command(self, body: dict, **options) -> dict:
        self.send(op_msg(body, **options))
        reply = self.receive()
        if reply is None:
            raise ConnectionError("server closed the connection")
        return reply.document

    def is_closed_by_peer(self, wait: float = 5.0) -> bool:
        """True when the server has closed its side (reads EOF within `wait` seconds)."""
        self.sock.settimeout(wait)
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False
