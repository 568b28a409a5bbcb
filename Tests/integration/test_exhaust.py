# Exhaust cursors on the wire: a getMore sent with exhaustAllowed is answered by a stream of
# OP_MSG replies flagged moreToCome, each answering the previous one, until the cursor ends.
# pymongo's CursorType.EXHAUST path is covered in test_crud.py; this checks the frames.

import struct

import rawwire


def test_exhaust_get_more_streams_batches_until_the_cursor_ends(server, client):
    db = client["t_exhaust_frames"]
    db.c.drop()
    db.c.insert_many([{"_id": i} for i in range(50)])
    with rawwire.RawConnection(server.port) as conn:
        first = conn.command({"find": "c", "sort": {"_id": 1}, "batchSize": 10, "$db": "t_exhaust_frames"})
        cursor_id = first["cursor"]["id"]
        assert cursor_id != 0
        seen = [doc["_id"] for doc in first["cursor"]["firstBatch"]]
        request = rawwire.op_msg({"getMore": cursor_id, "collection": "c", "batchSize": 10, "$db": "t_exhaust_frames"},
                                 flags=rawwire.EXHAUST_ALLOWED)
        request_id = struct.unpack("<i", request[4:8])[0]
        conn.send(request)
        replies = []
        while True:
            reply = conn.receive()
            assert reply is not None, "server closed the connection mid-stream"
            replies.append(reply)
            seen += [doc["_id"] for doc in reply.document["cursor"]["nextBatch"]]
            if not reply.flags & rawwire.MORE_TO_COME:
                break
        assert seen == list(range(50))
        # One client request, several replies: the first answers it, each next one the previous.
        assert len(replies) >= 4
        assert replies[0].response_to == request_id
        for previous, reply in zip(replies, replies[1:]):
            assert reply.response_to == previous.request_id
        assert replies[-1].document["cursor"]["id"] == 0
        assert all(r.flags & rawwire.MORE_TO_COME for r in replies[:-1])
        # The connection carries ordinary commands afterwards.
        assert conn.command({"ping": 1, "$db": "admin"})["ok"] == 1.0
