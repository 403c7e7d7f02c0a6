"""Secrets at rest (issue 9, item 5): the data directory holds every account's secret keys,
session secrets and the SNS signing key, so ferry keeps it 0700 and its files 0600 whatever
the umask, fixes a directory of its own that others can read (saying so), and refuses one
that also holds other things."""
import os
import stat
import subprocess

import pytest

from ferrytest import FERRY_BIN, Ferry


@pytest.fixture
def umask022():
    old = os.umask(0o022)  # inherited by ferry: files 0644, directories 0755 by default
    yield
    os.umask(old)


def modes(d):
    """{name: mode} of the data directory ("") and every file in it."""
    out = {"": stat.S_IMODE(os.stat(d).st_mode)}
    for name in os.listdir(d):
        out[name] = stat.S_IMODE(os.stat(os.path.join(d, name)).st_mode)
    return out


def test_serve_and_init_on_an_open_data_directory(umask022):
    f = Ferry()
    try:
        os.makedirs(f.data)
        os.chmod(f.data, 0o755)  # mkdir d && ferry serve --data d
        f.start()
        f.init()
        f.client("sts", "management").get_caller_identity()
        f.client("sqs", "management", region="us-east-1").create_queue(QueueName="q")
        m = modes(f.data)
        # the store's files (on SQLite), the -wal and -shm of a live server included
        if not f.store_args():
            assert {"ferry.db", "ferry.db-wal", "ferry.db-shm"} <= set(m), m
        # the directory and the blob store's directory 0700, every file 0600
        assert m == {name: (0o700 if name in ("", "blobs") else 0o600) for name in m}, m
        assert "now 0700" in open(f.log).read()
        # opened again on an open directory that now holds the blob store too: fixed, not refused
        f.stop()
        os.chmod(f.data, 0o755)
        f.start()
        f.client("sts", "management").get_caller_identity()
        assert stat.S_IMODE(os.stat(f.data).st_mode) == 0o700
    finally:
        f.close()


def test_init_alone_on_an_open_data_directory(umask022, tmp_path):
    data, aws = tmp_path / "data", tmp_path / "aws"
    data.mkdir(mode=0o755)
    r = subprocess.run([FERRY_BIN, "init", "--data", str(data), "--aws-config", str(aws),
                        "--endpoint-url", "http://127.0.0.1:1"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    m = modes(data)
    assert "ferry.db" in m
    assert m == {name: (0o700 if name == "" else 0o600) for name in m}, m


def test_serve_refuses_a_shared_directory(umask022, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    (shared / "notes.txt").write_text("not ferry's")
    r = subprocess.run([FERRY_BIN, "serve", "--listen", "127.0.0.1:0", "--data", str(shared)],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0
    assert "open to other users" in r.stderr and "chmod 700" in r.stderr
    assert stat.S_IMODE(os.stat(shared).st_mode) == 0o755  # left as it was
    assert sorted(os.listdir(shared)) == ["notes.txt"]
