# Back-pressure for unacknowledged writes: a client that streams `moreToCome` insert batches
# faster than the server applies them must be slowed down by TCP (the server stops reading
# its socket while a few requests wait), not buffered in the server's memory. The test sends
# about 240 MB of w:0 batches down one raw connection as fast as loopback takes them, samples
# the server's resident memory meanwhile, then checks every document arrived.
#
# Memory bound: what the server may grow by while it ingests is RocksDB's (the 64 MiB block
# cache and up to two 64 MiB write buffers: one filling, one flushing) plus a bounded queue
# per connection (8 batches of 0.5 MB here). 256 MiB holds that; buffering the stream would
# hold the raw batches and their decoded documents, several hundred MiB more.

import threading
import time

import bson

import rawwire

BATCHES = 480
PER_BATCH = 125
BODY = "x" * 4000
GROWTH_LIMIT_KIB = 256 * 1024


def batch(number: int) -> bytes:
    documents = [{"_id": number * PER_BATCH + i, "batch": number, "body": BODY} for i in range(PER_BATCH)]
    command = {"insert": "stream", "$db": "backpressure", "ordered": False, "writeConcern": {"w": 0}}
    return rawwire.op_msg(command, flags=rawwire.MORE_TO_COME, sequences=[("documents", documents)])


def test_unacknowledged_stream_is_throttled_not_buffered(private_server, figures):
    server = private_server
    frames = [batch(number) for number in range(BATCHES)]
    sent_bytes = sum(len(frame) for frame in frames)
    with server.client() as client:
        client["backpressure"].command("ping")
    time.sleep(0.5)
    rss_before = server.rss_kib()
    peak = [rss_before]
    sending = threading.Event()
    sending.set()

    def sample() -> None:
        while sending.is_set():
            peak[0] = max(peak[0], server.rss_kib())
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.monotonic()
    try:
        with rawwire.RawConnection(server.port, timeout=300) as conn:
            for frame in frames:
                conn.send(frame)
            sent_at = time.monotonic()
            # A ping on the same connection is answered after every batch before it ran.
            reply = conn.command({"ping": 1, "$db": "admin"})
            applied_at = time.monotonic()
    finally:
        sending.clear()
        sampler.join()
    assert reply["ok"] == 1.0

    with server.client() as client:
        stored = client["backpressure"]["stream"].count_documents({})
    assert stored == BATCHES * PER_BATCH

    growth = peak[0] - rss_before
    figures(f"back-pressure: {sent_bytes / 2**20:.0f} MiB of w:0 batches sent in {sent_at - started:.1f} s, "
            f"applied {applied_at - started:.1f} s after the first; RSS {rss_before / 1024:.1f} MiB before, "
            f"peak +{growth / 1024:.1f} MiB")
    assert growth <= GROWTH_LIMIT_KIB, (
        f"server RSS grew by {growth / 1024:.1f} MiB while ingesting {sent_bytes / 2**20:.0f} MiB "
        f"(limit {GROWTH_LIMIT_KIB / 1024:.0f} MiB): unacknowledged batches are being buffered")
