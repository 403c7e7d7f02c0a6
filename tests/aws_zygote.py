"""A fork server for Debian's awscli: the `aws` commands of the test suites, unchanged.

Starting /usr/bin/aws costs about a second of CPU (Python imports awscli, botocore and the
CLI's plugins) before it sends one request, and the suites run hundreds of commands. This
process imports all that once; for each command the `aws` shim beside it (tests/aws) hands
over its argv, environment, working directory and its stdin/stdout/stderr (SCM_RIGHTS), and
a forked child runs awscli's own entry point on them, exactly as /usr/bin/aws would: the
same code, a fresh process per command, the caller's pipes. The shim exits with the
command's status and forwards the signals it gets.

Usage: aws_zygote.py SOCKET OWNER_PID. It exits when the owner (a pytest process) is gone.
"""
import array
import json
import os
import signal
import socket
import struct
import sys
import threading
import traceback


def recv_request(conn):
    """(request, [fds]) from one shim: a 4-byte length, the JSON request, three fds."""
    fds = array.array("i")
    head, anc, _, _ = conn.recvmsg(4, socket.CMSG_LEN(3 * fds.itemsize))
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[:len(data) - len(data) % fds.itemsize])
    if len(head) != 4:
        raise EOFError
    n = struct.unpack("!I", head)[0]
    body = b""
    while len(body) < n:
        chunk = conn.recv(n - len(body))
        if not chunk:
            raise EOFError
        body += chunk
    return json.loads(body), list(fds)


def watch(conn):
    """The shim's messages while the command runs: a signal number to deliver, or its end
    (EOF: the shim is gone, so is the command)."""
    while True:
        try:
            b = conn.recv(4)
        except OSError:
            b = b""
        if len(b) < 4:
            os._exit(1)
        os.kill(os.getpid(), struct.unpack("!I", b)[0])


def child(conn, req, fds):
    import importlib

    import awscli
    import awscli.clidriver
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    # sys.std* stay the objects made at start-up (awscli keeps references to them), over
    # the caller's fds
    for i, fd in enumerate(fds[:3]):
        os.dup2(fd, i)
    for fd in fds:
        if fd > 2:
            os.close(fd)
    os.chdir(req["cwd"])
    os.environ.clear()
    os.environ.update(req["env"])
    if os.environ.get("LC_CTYPE", "") == "UTF-8":  # as /usr/bin/aws does
        os.environ["LC_CTYPE"] = "en_US.UTF-8"
    # awscli's import reads the environment (AWS_DATA_PATH, which it then sets): again, in
    # this command's
    importlib.reload(awscli)
    sys.argv = ["/usr/bin/aws"] + req["argv"]
    conn.sendall(struct.pack("!I", os.getpid()))
    threading.Thread(target=watch, args=(conn,), daemon=True).start()
    try:
        rc = awscli.clidriver.main()
    except SystemExit as e:
        rc = e.code
    except BaseException:
        traceback.print_exc()
        rc = 1
    if rc is None:
        rc = 0
    elif not isinstance(rc, int):
        print(rc, file=sys.stderr)
        rc = 1
    for t in threading.enumerate():
        if t is not threading.current_thread() and not t.daemon:
            t.join()
    for s in (sys.stdout, sys.stderr):
        try:
            s.flush()
        except (OSError, ValueError):
            pass
    try:
        conn.sendall(struct.pack("!I", rc & 0xFF))
    except OSError:
        pass
    os._exit(rc & 0xFF)


def main():
    path, owner = sys.argv[1], int(sys.argv[2])
    # the imports the commands share, done once (the driver itself is made per command)
    import awscli.clidriver
    awscli.clidriver.create_clidriver()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children reap themselves
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    tmp = f"{path}.{os.getpid()}"
    srv.bind(tmp)
    srv.listen(64)
    os.rename(tmp, path)  # the shim connects only once this listens
    srv.settimeout(1.0)
    try:
        while True:
            try:
                os.kill(owner, 0)
            except ProcessLookupError:
                return
            try:
                conn, _ = srv.accept()
            except socket.timeout:
                continue
            conn.settimeout(None)
            try:
                req, fds = recv_request(conn)
            except (EOFError, OSError, ValueError):
                conn.close()
                continue
            if os.fork() == 0:
                srv.close()
                try:
                    child(conn, req, fds)
                finally:
                    os._exit(1)
            for fd in fds:
                os.close(fd)
            conn.close()
    finally:
        for f in (path, path + ".lock", path + ".log"):
            try:
                if not f.endswith(".log") or os.path.getsize(f) == 0:  # a log that says something stays
                    os.unlink(f)
            except OSError:
                pass


if __name__ == "__main__":
    main()
