# A second real client: the C program in cclient/ built against Debian's libmongoc-dev
# (compiled here with gcc and pkg-config), run against the server; its output and the
# data it left are checked, the data through pymongo.

import shutil
import subprocess
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parent / "cclient" / "client.c"


@pytest.fixture(scope="module")
def cclient(tmp_path_factory):
    if shutil.which("gcc") is None or shutil.which("pkg-config") is None:
        pytest.fail("gcc and pkg-config are required (scripts/test installs them)")
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "libmongoc-1.0"],
                           capture_output=True, text=True)
    assert flags.returncode == 0, f"libmongoc-1.0 not found by pkg-config: {flags.stderr}"
    binary = tmp_path_factory.mktemp("cclient") / "client"
    build = subprocess.run(["gcc", "-Wall", "-Wextra", "-Werror", "-o", str(binary), str(SOURCE),
                            *flags.stdout.split()], capture_output=True, text=True)
    assert build.returncode == 0, f"gcc failed:\n{build.stderr}"
    return binary


def test_c_client_inserts_finds_updates(cclient, server, client, db):
    uri = f"mongodb://127.0.0.1:{server.port}/?directConnection=true&compressors=zlib"
    run = subprocess.run([str(cclient), uri, db.name], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, f"C client failed:\nstdout:\n{run.stdout}\nstderr:\n{run.stderr}"
    assert run.stdout.splitlines() == [
        "ping ok",
        "inserted 5",
        "found 5", "found 4", "found 3", "found 2",
        "found total 4",
        "modified 2",
        "count 5",
    ]
    items = db["items"]
    assert list(items.find({}, sort=[("_id", 1)])) == [
        {"_id": 1, "name": "item", "qty": 10, "touchedBy": "libmongoc"},
        {"_id": 2, "name": "item", "qty": 20},
        {"_id": 3, "name": "item", "qty": 30},
        {"_id": 4, "name": "bulk", "qty": 41},
        {"_id": 5, "name": "bulk", "qty": 51},
    ]


def test_c_client_reports_server_errors(cclient, server, db):
    db["items"].insert_one({"_id": 2})  # the C client's second insert now collides
    uri = f"mongodb://127.0.0.1:{server.port}/?directConnection=true"
    run = subprocess.run([str(cclient), uri, db.name], capture_output=True, text=True, timeout=60)
    assert run.returncode == 1
    assert "insert_one failed" in run.stderr and "code 11000" in run.stderr
