"""Limits before authentication (issue 9, item 2 and its "Also" items): idle connection
floods, slow headers, bodies of callers that will be refused, malformed framing. Each
server gets tiny limits through its flags so the tests are quick."""
import resource
import socket
import time

import botocore.auth
import botocore.awsrequest
import botocore.config
import botocore.credentials
import pytest

from ferrytest import Ferry

FLOOD = 1100  # more than libmicrohttpd's default connection limit (1,020)


def server(*flags):
    f = Ferry(extra=list(flags)).start()
    f.init()
    return f


@pytest.fixture
def fds():
    """Room for the flood in this process's descriptor table."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, FLOOD + 512))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    if want < FLOOD + 256:
        pytest.skip("not enough descriptors for the flood")
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def flood(port, n=FLOOD, source="127.0.0.2"):
    """n idle TCP connections from another loopback address (Linux routes all of 127/8)."""
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.bind((source, 0))
        s.setblocking(False)
        try:
            s.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        socks.append(s)
    return socks


def caller_identity(f, profile="dev"):
    """A signed call that must be answered well before libmicrohttpd's 120 s idle timeout."""
    cfg = botocore.config.Config(connect_timeout=30, read_timeout=30, retries={"max_attempts": 1})
    return f.client("sts", profile, "us-east-1", config=cfg).get_caller_identity()


def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def raw(port, data, timeout=10):
    """Sends data on a fresh connection and returns what comes back first (b"" on close)."""
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.settimeout(timeout)
        s.sendall(data)
        try:
            return s.recv(4096)
        except ConnectionResetError:
            return b""


def signed_headers(f, profile, body_sha=None, method="POST", path="/", region="us-east-1"):
    req = botocore.awsrequest.AWSRequest(method=method, url=f.endpoint + path)
    if body_sha:
        req.headers["X-Amz-Content-SHA256"] = body_sha
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(*f.keys(profile)), "sts",
                            region).add_auth(req)
    return req.headers


def closed(sock, within):
    """True once the server closed sock (reading b"" or a reset), polling up to within s."""
    sock.settimeout(0.5)
    deadline = time.time() + within
    while time.time() < deadline:
        try:
            if sock.recv(4096) == b"":
                return True
        except socket.timeout:
            continue
        except OSError:
            return True
    return False


# --- idle connection floods --------------------------------------------------------------
def test_idle_flood_from_one_peer_leaves_others_served(fds):
    f = server()  # the defaults: 256 connections per address
    socks = []
    try:
        socks = flood(f.port)
        assert caller_identity(f)["Account"]
        assert f.proc.poll() is None
    finally:
        for s in socks:
            s.close()
        f.close()


def test_idle_flood_near_the_limit_evicts_idle_connections(fds):
    # every address may hold all it wants, but near --max-conns the oldest connections that
    # never sent a request are closed, so a client that does send one is served
    f = server("--max-conns", "200", "--max-conns-per-ip", "100000", "--header-timeout", "60")
    socks = []
    try:
        socks = flood(f.port)
        assert caller_identity(f)["Account"]
        evicted = sum(closed(s, 0.01) for s in socks[:100])
        assert evicted > 0
    finally:
        for s in socks:
            s.close()
        f.close()


# --- slow headers ------------------------------------------------------------------------
def dripped_until_closed(port, head):
    """Sends head, then a byte every 200 ms (each renews libmicrohttpd's idle timeout):
    True when the server closes the connection within 30 s."""
    drip = socket.create_connection(("127.0.0.1", port))
    drip.sendall(head)
    gone = False
    deadline = time.time() + 30
    while not gone and time.time() < deadline:
        try:
            drip.sendall(b"X")
        except OSError:
            gone = True
            break
        gone = closed(drip, 0.2)
    drip.close()
    return gone


def test_slowloris_is_closed_after_the_header_deadline():
    f = server("--header-timeout", "2", "--body-timeout", "2")
    try:
        assert dripped_until_closed(f.port, b"GET /_ferry/health HTTP/1.1\r\nHost: x\r\n"), \
            "a connection dripping its headers was kept past the header deadline"
        # a body whose signature is not checked yet has its own deadline
        assert dripped_until_closed(f.port, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: "
                                    b"application/x-www-form-urlencoded\r\n"
                                    b"Content-Length: 100000\r\n\r\n"), \
            "an unauthenticated body dripped past the body deadline"
        # a keep-alive client that completed a request keeps its connection past the deadline
        with socket.create_connection(("127.0.0.1", f.port)) as s:
            s.sendall(b"GET /_ferry/health HTTP/1.1\r\nHost: x\r\n\r\n")
            s.settimeout(10)
            assert s.recv(4096).startswith(b"HTTP/1.1 200")
            time.sleep(3)
            s.sendall(b"GET /_ferry/health HTTP/1.1\r\nHost: x\r\n\r\n")
            assert s.recv(4096).startswith(b"HTTP/1.1 200")
    finally:
        f.close()


# --- bodies before authentication --------------------------------------------------------
def test_bodies_of_refused_callers_are_not_read(ferry):
    big = 16 << 20
    base = rss_kib(ferry.proc.pid)
    # an unknown key, and a known key with a wrong signature over a signed body hash: both
    # refused from the headers, before the body (which these clients never send)
    fake = ("AWS4-HMAC-SHA256 Credential=AKIAUNKNOWNUNKNOWN000/20260101/us-east-1/sts/"
            "aws4_request, SignedHeaders=host;x-amz-date, Signature=" + "0" * 64)
    hdrs = signed_headers(ferry, "dev", body_sha="a" * 64)
    bad_sig = "".join(f"{k}: {v}\r\n" for k, v in hdrs.items() if k.lower() != "authorization")
    bad_sig += "Authorization: " + hdrs["Authorization"][:-64] + "0" * 64 + "\r\n"
    socks = []
    for i in range(40):
        s = socket.create_connection(("127.0.0.1", ferry.port))
        if i % 2:
            head = bad_sig
        else:
            head = f"Host: x\r\nX-Amz-Date: 20260101T000000Z\r\nAuthorization: {fake}\r\n"
        s.sendall(f"POST / HTTP/1.1\r\n{head}Content-Type: application/x-www-form-urlencoded\r\n"
                  f"Content-Length: {big}\r\n\r\n".encode() + b"x" * 65536)
        socks.append(s)
    for i, s in enumerate(socks):
        s.settimeout(10)
        head = s.recv(4096)
        assert head.startswith(b"HTTP/1.1 403"), head
        assert (b"SignatureDoesNotMatch" if i % 2 else b"InvalidClientTokenId") in head, head
        s.close()
    assert rss_kib(ferry.proc.pid) - base < 64 * 1024
    assert caller_identity(ferry)["Account"]


def test_a_body_signed_for_an_unknown_region_is_not_read(ferry):
    # a known key and a good signature, but a region no request may be signed for: refused
    # from the headers like any other refusal, without waiting for the body
    hdrs = signed_headers(ferry, "dev", region="bogus-region-9")
    head = "".join(f"{k}: {v}\r\n" for k, v in hdrs.items())
    with socket.create_connection(("127.0.0.1", ferry.port)) as s:
        s.sendall(f"POST / HTTP/1.1\r\n{head}Content-Type: application/x-www-form-urlencoded\r\n"
                  f"Content-Length: {16 << 20}\r\n\r\n".encode())
        s.settimeout(10)
        got = s.recv(4096)
    assert got.startswith(b"HTTP/1.1 403"), got
    assert b"Credential should be scoped to a valid region" in got, got


def drained(port, want, timeout=20):
    """Wait until the server has read everything its `want` loopback connections hold:
    /proc/net/tcp lists each socket's receive queue (bytes not yet read by the process)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        queues = []
        for line in open("/proc/net/tcp").read().splitlines()[1:]:
            f = line.split()
            if int(f[1].split(":")[1], 16) == port and f[3] == "01":  # local port, ESTABLISHED
                queues.append(int(f[4].split(":")[1], 16))
        if len(queues) >= want and not any(queues):
            return
        time.sleep(0.05)
    raise AssertionError("the server did not read its connections' bodies: %r" % queues)


def test_bodies_awaiting_their_signature_share_a_budget():
    f = server("--body-budget", str(4 << 20))
    try:
        # six unsigned 1 MiB bodies, all but the last byte sent: at most 4 MiB is held
        n = 1 << 20
        socks = []
        for _ in range(6):
            s = socket.create_connection(("127.0.0.1", f.port))
            s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded"
                      b"\r\nContent-Length: %d\r\n\r\n" % n + b"x" * (n - 1))
            socks.append(s)
        # before any request completes (and gives its share back), let the server read
        # what the kernel holds for it: otherwise the first may finish before the last is read
        drained(f.port, len(socks))
        heads = []
        for s in socks:
            s.sendall(b"x")
            s.settimeout(20)
            heads.append(s.recv(4096))
            s.close()
        status = [h[:12] for h in heads]
        # within the budget: the gateway's refusal of an unsigned request; beyond it: 503
        assert all(st in (b"HTTP/1.1 400", b"HTTP/1.1 403", b"HTTP/1.1 503") for st in status), heads
        assert any(h.startswith(b"HTTP/1.1 503") and b"SlowDown" in h for h in heads), heads
        # (which of them is refused depends on how the server's threads interleave the reads:
        # when every body got part of the budget, every one may be the one that overflows it)
        assert caller_identity(f)["Account"]  # the budget is given back
    finally:
        f.close()


# --- framing the server does not take -----------------------------------------------------
def test_unknown_transfer_coding_is_501_at_once(ferry):
    head = raw(ferry.port, b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
                           b"5\r\nhello\r\n0\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 501"), head


def test_long_chunk_extension_is_refused_at_once(ferry):
    head = raw(ferry.port, b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;"
               + b"a" * 100000 + b"\r\nhello\r\n0\r\n\r\n")
    assert head[:12] in (b"HTTP/1.1 400", b"HTTP/1.1 411", b"HTTP/1.1 501"), head


@pytest.mark.parametrize("n", [500, 2900, 3000])
def test_thousands_of_query_parameters_get_414_at_once(ferry, n):
    q = "&".join(f"p{i}=v" for i in range(n))
    head = raw(ferry.port, f"GET /?{q} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    assert head.startswith(b"HTTP/1.1 414"), head
    # a query string of the usual kind still goes through
    head = raw(ferry.port, b"GET /?Action=GetCallerIdentity&Version=2011-06-15 HTTP/1.1\r\n"
                           b"Host: x\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 403"), head
