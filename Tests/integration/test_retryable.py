# Retryable writes: a TCP proxy between pymongo and the server cuts the connection after the
# server has committed a marked write but before its reply reaches the driver; the driver
# retries with the same lsid + txnNumber, and the write must apply exactly once. Also the
# replay seen below the driver, and TransactionTooOld for an older txnNumber.

from __future__ import annotations

import socket
import struct
import threading
import uuid

import pytest
from bson.binary import Binary
from bson.int64 import Int64
from pymongo import MongoClient, ReturnDocument

from rawwire import RawConnection

MARKER = b"cut-the-reply-here"


class ReplyCuttingProxy:
    """Forwards MongoDB messages both ways; for the first request containing MARKER (per
    `arm()`), drops the server's reply and closes the client's connection instead."""

    def __init__(self, server_port: int):
        self.server_port = server_port
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.armed = False
        self.cut_request: int | None = None
        self.cuts = 0
        self.closing = False
        threading.Thread(target=self._accept, daemon=True).start()

    def arm(self) -> None:
        with self.lock:
            self.armed = True

    def close(self) -> None:
        self.closing = True
        self.listener.close()

    def _accept(self) -> None:
        while not self.closing:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.server_port))
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    @staticmethod
    def _read_message(sock: socket.socket) -> bytes | None:
        head = b""
        while len(head) < 16:
            chunk = sock.recv(16 - len(head))
            if not chunk:
                return None
            head += chunk
        length = struct.unpack("<i", head[:4])[0]
        body = b""
        while len(body) < length - 16:
            chunk = sock.recv(length - 16 - len(body))
            if not chunk:
                return None
            body += chunk
        return head + body

    def _pump(self, source: socket.socket, target: socket.socket, from_client: bool) -> None:
        try:
            while True:
                message = self._read_message(source)
                if message is None:
                    break
                request_id, response_to = struct.unpack("<ii", message[4:12])
                with self.lock:
                    if from_client and self.armed and MARKER in message:
                        self.armed = False
                        self.cut_request = request_id
                    elif not from_client and self.cut_request is not None and response_to == self.cut_request:
                        # The server has done the write; the driver never hears about it.
                        self.cut_request = None
                        self.cuts += 1
                        break
                target.sendall(message)
        except OSError:
            pass
        for sock in (source, target):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()


@pytest.fixture
def proxied(server, db):
    proxy = ReplyCuttingProxy(server.port)
    client = MongoClient(f"mongodb://127.0.0.1:{proxy.port}/?directConnection=true", retryWrites=True,
                         serverSelectionTimeoutMS=10_000)
    yield proxy, client[db.name]
    client.close()
    proxy.close()


def test_an_insert_whose_reply_is_lost_is_retried_and_applied_once(proxied, db):
    proxy, through = proxied
    proxy.arm()
    through.c.insert_one({"_id": 1, "tag": MARKER.decode()})
    assert proxy.cuts == 1
    assert db.c.count_documents({}) == 1


def test_an_increment_whose_reply_is_lost_is_applied_once(proxied, db):
    proxy, through = proxied
    db.c.insert_one({"_id": "counter", "n": 0, "tag": MARKER.decode()})
    proxy.arm()
    result = through.c.update_one({"_id": "counter", "tag": MARKER.decode()}, {"$inc": {"n": 1}})
    assert proxy.cuts == 1
    assert result.matched_count == 1 and result.modified_count == 1
    assert db.c.find_one({"_id": "counter"})["n"] == 1


def test_a_find_one_and_update_whose_reply_is_lost_returns_the_original_result(proxied, db):
    proxy, through = proxied
    db.c.insert_one({"_id": "prize", "owner": None, "tag": MARKER.decode()})
    proxy.arm()
    before = through.c.find_one_and_update({"_id": "prize", "owner": None, "tag": MARKER.decode()},
                                           {"$set": {"owner": "me"}, "$inc": {"claims": 1}},
                                           return_document=ReturnDocument.BEFORE)
    assert proxy.cuts == 1
    # The retry answers with the first attempt's result, not "nothing matched".
    assert before is not None and before["owner"] is None
    assert db.c.find_one({"_id": "prize"})["claims"] == 1


def test_a_delete_whose_reply_is_lost_reports_the_original_count(proxied, db):
    proxy, through = proxied
    db.c.insert_many([{"_id": 1, "tag": MARKER.decode()}, {"_id": 2}])
    proxy.arm()
    result = through.c.delete_one({"tag": MARKER.decode()})
    assert proxy.cuts == 1
    assert result.deleted_count == 1
    assert db.c.count_documents({}) == 1


def test_a_repeated_txn_number_replays_the_first_reply(server, db):
    lsid = {"id": Binary(uuid.uuid4().bytes, 4)}
    with RawConnection(server.port) as raw:
        command = {"insert": "c", "documents": [{"_id": 1}], "lsid": lsid, "txnNumber": Int64(7), "$db": db.name}
        first = raw.command(command)
        again = raw.command(command)
        assert first["ok"] == 1 and first["n"] == 1
        assert again["ok"] == 1 and again["n"] == 1 and "writeErrors" not in again
        increment = {"update": "c", "updates": [{"q": {"_id": 1}, "u": {"$inc": {"n": 1}}}], "lsid": lsid,
                     "txnNumber": Int64(8), "$db": db.name}
        assert raw.command(increment)["nModified"] == 1
        assert raw.command(increment)["nModified"] == 1
        stale = raw.command({**command, "txnNumber": Int64(7)})
        assert stale["ok"] == 0 and stale["code"] == 225 and stale["codeName"] == "TransactionTooOld"
    assert list(db.c.find()) == [{"_id": 1, "n": 1}]
