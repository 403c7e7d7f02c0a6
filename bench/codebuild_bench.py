#!/usr/bin/python3
"""CodeBuild, CodeCommit git and EventBridge figures (issue 13), in one run on one ferry:

1. StartBuild → the first buildspec command running. A NO_SOURCE project whose only command
   is `date +%s.%N > $BENCH_DIR/$CODEBUILD_BUILD_NUMBER`; t0 is taken right before the
   StartBuild call, t1 read from the file. Builds run one after another (BENCH_BUILDS, default
   20). Beside it, the same measure of a bare `bash -c 'date +%s.%N > FILE'` started with
   subprocess from this process.
2. A printed line visible through GetLogEvents: one build prints BENCH_LINES (default 10)
   lines `MARK i <date +%s.%N>`, 0.3 s apart; this process polls GetLogEvents in a tight loop
   (forward token) and takes (seen − printed) per line.
3. `git push` of a 10,000-file repository (100 directories of 100 small text files, one
   commit) to a CodeCommit repository over ferry's smart HTTP with HTTPS Git credentials,
   and a `git clone` of it; the same push and clone against git's own smart HTTP (`git
   http-backend` behind nginx through fcgiwrap, with basic auth, as ferry's credentials: the
   peer the issue names; skipped when fcgiwrap is not installed) and `git daemon` (git://)
   on the same machine. BENCH_GIT_RUNS (default 5) runs each, a fresh empty repository per
   push, each server going first in turn; medians. One untimed `git pack-objects` of the repository runs first:
   the first over freshly written loose objects took ~3.8 s on this VM, whichever server follows.
4. EventBridge PutEvents → SQS: a rule matching source `bench` with an SQS target;
   BENCH_EVENTS (default 2,000) events in PutEvents batches of 10 from 4 threads while 4
   threads receive (10 at a time, long polling, no deletes: message ids counted); time until
   all N messages have been received, and PutEvents calls/s over that sending; then PutEvents
   alone: N more events of a source no rule matches, nobody receiving. Clients made beforehand.

BENCH_PARTS=git (any of start,logs,git,events) runs only those parts.
Prints a markdown section for bench/RESULTS.md."""
import concurrent.futures
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
from ferrytest import Ferry  # noqa: E402

REGION = "us-east-1"
BUILDS = int(os.environ.get("BENCH_BUILDS", "20"))
LINES = int(os.environ.get("BENCH_LINES", "10"))
GIT_RUNS = int(os.environ.get("BENCH_GIT_RUNS", "5"))
EVENTS = int(os.environ.get("BENCH_EVENTS", "2000"))
TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "codebuild.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def ms(x):
    return f"{x * 1000:.1f} ms"


def wait_build(cb, bid, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        b = cb.batch_get_builds(ids=[bid])["builds"][0]
        if b["buildComplete"]:
            return b
        time.sleep(0.05)
    raise RuntimeError("build did not complete")


def project(cb, role, name, buildspec, env=()):
    cb.create_project(name=name, source={"type": "NO_SOURCE", "buildspec": buildspec},
                      artifacts={"type": "NO_ARTIFACTS"},
                      environment={"type": "LINUX_CONTAINER", "computeType": "BUILD_GENERAL1_SMALL",
                                   "image": "aws/codebuild/standard:7.0",
                                   "environmentVariables": [{"name": k, "value": v, "type": "PLAINTEXT"}
                                                            for k, v in env]},
                      serviceRole=role)


def read_ts(path, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            s = open(path).read().strip()
            if s:
                return float(s)
        except FileNotFoundError:
            pass
        time.sleep(0.002)
    raise RuntimeError("no timestamp in " + path)


def bench_start(f, cb, role, tmp):
    d = os.path.join(tmp, "start")
    os.mkdir(d)
    project(cb, role, "start", "version: 0.2\nphases:\n  build:\n    commands:\n"
            "      - date +%s.%N > $BENCH_DIR/$CODEBUILD_BUILD_NUMBER\n", env=[("BENCH_DIR", d)])
    wait_build(cb, cb.start_build(projectName="start")["build"]["id"])  # warm-up
    lat, ret = [], []
    for _ in range(BUILDS):
        t0 = time.time()
        b = cb.start_build(projectName="start")["build"]
        ret.append(time.time() - t0)
        lat.append(read_ts(os.path.join(d, str(b["buildNumber"]))) - t0)
        wait_build(cb, b["id"])
    bare = []
    p = os.path.join(d, "bare")
    for i in range(BUILDS + 1):
        if os.path.exists(p):
            os.unlink(p)
        t0 = time.time()
        subprocess.run(["bash", "-c", f"date +%s.%N > {p}"], check=True)
        if i:
            bare.append(read_ts(p) - t0)
    return lat, ret, bare


def bench_logs(f, cb, role):
    logs = f.client("logs", "tools", region=REGION)
    project(cb, role, "lines", "version: 0.2\nphases:\n  build:\n    commands:\n"
            f"      - sleep 1; for i in $(seq 1 {LINES}); do sleep 0.3; echo \"MARK $i $(date +%s.%N)\"; done\n")
    b = cb.start_build(projectName="lines")["build"]
    grp, stream = None, None
    deadline = time.time() + 30
    while grp is None and time.time() < deadline:
        b = cb.batch_get_builds(ids=[b["id"]])["builds"][0]
        if b.get("logs", {}).get("groupName") and b["logs"].get("streamName"):
            grp, stream = b["logs"]["groupName"], b["logs"]["streamName"]
        else:
            time.sleep(0.01)
    kw = {"logGroupName": grp, "logStreamName": stream, "startFromHead": True}
    lags, calls = {}, 0
    t_start = time.time()
    while len(lags) < LINES and time.time() < deadline:
        try:
            r = logs.get_log_events(**kw)
        except logs.exceptions.ResourceNotFoundException:
            continue
        calls += 1
        now = time.time()
        for e in r["events"]:
            w = e["message"].split()
            if len(w) >= 3 and w[0] == "MARK" and w[1] not in lags:
                lags[w[1]] = now - float(w[2])
        kw["nextToken"] = r["nextForwardToken"]
    poll = (time.time() - t_start) / max(calls, 1)
    wait_build(cb, b["id"])
    return list(lags.values()), poll


def git_env(home):
    e = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "GIT_"))}
    e.update({"HOME": home, "GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1",
              "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.com",
              "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@example.com"})
    return e


def git(env, *args, cwd=None):
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, timeout=600)


def timed_git(env, *args, cwd=None):
    t0 = time.time()
    git(env, *args, cwd=cwd)
    return time.time() - t0


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def bench_git(f, tmp):
    home = os.path.join(tmp, "home")
    os.mkdir(home)
    env = git_env(home)
    src = os.path.join(tmp, "src")
    os.mkdir(src)
    for d in range(100):
        os.mkdir(os.path.join(src, f"d{d:02}"))
        for i in range(100):
            with open(os.path.join(src, f"d{d:02}", f"f{i:03}.txt"), "w") as fh:
                fh.write(f"file {d}/{i}\n" + "line of text for the benchmark\n" * (1 + (d * i) % 7))
    git(env, "init", "-q", "-b", "main", cwd=src)
    git(env, "add", ".", cwd=src)
    git(env, "commit", "-q", "-m", "10,000 files", cwd=src)
    # the first pack-objects over freshly written loose objects is slow on this VM (seconds,
    # whatever the server): one untimed pack run first, so neither server pays it
    subprocess.run(["git", "pack-objects", "--all-progress-implied", "--revs", "--stdout", "--thin",
                    "--delta-base-offset", "-q"], input=b"main\n", cwd=src, env=env,
                   stdout=subprocess.DEVNULL, check=True)

    # ferry: HTTPS Git credentials of a tools user allowed GitPull/GitPush
    iam = f.client("iam", "tools")
    iam.create_user(UserName="gitbench")
    iam.put_user_policy(UserName="gitbench", PolicyName="git", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*",
                                                "Action": ["codecommit:GitPull", "codecommit:GitPush"]}]}))
    cred = iam.create_service_specific_credential(
        UserName="gitbench", ServiceName="codecommit.amazonaws.com")["ServiceSpecificCredential"]
    q = urllib.parse.quote
    cc = f.client("codecommit", "tools", region=REGION)

    def ferry_url(i):
        url = cc.create_repository(repositoryName=f"big{i}")["repositoryMetadata"]["cloneUrlHttp"]
        u = urllib.parse.urlsplit(url)
        return u._replace(netloc=f"{q(cred['ServiceUserName'], safe='')}:"
                                 f"{q(cred['ServicePassword'], safe='')}@{u.netloc}").geturl()

    # git daemon over git://
    root = os.path.join(tmp, "daemon")
    os.mkdir(root)
    port = free_port()
    daemon = subprocess.Popen(["git", "daemon", "--reuseaddr", "--export-all", "--enable=receive-pack",
                               f"--base-path={root}", "--listen=127.0.0.1", f"--port={port}", root],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), 0.1).close()
                break
            except OSError:
                time.sleep(0.05)

        def daemon_url(i):
            git(env, "init", "-q", "--bare", "-b", "main", os.path.join(root, f"big{i}.git"))
            return f"git://127.0.0.1:{port}/big{i}.git"

        backend = http_backend(tmp, env)
        servers = [("ferry", ferry_url), ("daemon", daemon_url)]
        if backend:
            servers.append(("http-backend", backend[0]))
        runs = {name: ([], []) for name, _ in servers}
        for i in range(GIT_RUNS):
            # each server goes first in turn: the first push after a pack is written pays more
            order = servers[i % len(servers):] + servers[:i % len(servers)]
            for name, mk in order:
                push, clone = runs[name]
                url = mk(i)
                push.append(timed_git(env, "push", "-q", url, "main", cwd=src))
                dst = os.path.join(tmp, f"clone-{name}-{i}")
                clone.append(timed_git(env, "clone", "-q", url, dst))
                n = sum(len(fs) for d_, _, fs in os.walk(dst) if os.path.relpath(d_, dst).split(os.sep)[0] != ".git")
                if n != 10000:
                    raise RuntimeError(f"{name} clone has {n} files")
                shutil.rmtree(dst)
        out = {k: (statistics.median(p), statistics.median(c), p, c) for k, (p, c) in runs.items()}
    finally:
        daemon.terminate()
        daemon.wait()
        if backend:
            for p in backend[1]:
                p.terminate()
                p.wait()
    return out


def http_backend(tmp, env):
    """git's own smart HTTP (`git http-backend`) behind nginx through fcgiwrap, with basic
    auth as ferry's HTTPS Git credentials: the comparison the issue names first. None when
    fcgiwrap is missing (Debian: apt-get install fcgiwrap; not needed by make check)."""
    if not shutil.which("fcgiwrap", path="/usr/sbin:/usr/bin") or not shutil.which("nginx", path="/usr/sbin:/usr/bin"):
        print("bench: fcgiwrap or nginx missing: no git http-backend row", file=sys.stderr)
        return None
    root = os.path.join(tmp, "httpbackend")
    os.mkdir(root)
    sock = os.path.join(tmp, "fcgi.sock")
    pw = subprocess.run(["openssl", "passwd", "-apr1", "secret"], capture_output=True, text=True,
                        check=True).stdout.strip()
    with open(os.path.join(tmp, "htpasswd"), "w") as fh:
        fh.write(f"bench:{pw}\n")
    port = free_port()
    conf = os.path.join(tmp, "nginx.conf")
    with open(conf, "w") as fh:
        # the worker runs as the bench's user, as fcgiwrap and the repositories do
        user = "user root;" if os.geteuid() == 0 else ""
        fh.write(f"""{user} worker_processes 1; daemon off; pid {tmp}/nginx.pid; error_log {tmp}/nginx.err;
events {{}}
http {{
  access_log off;
  client_body_temp_path {tmp}/nb; fastcgi_temp_path {tmp}/nf; proxy_temp_path {tmp}/np;
  uwsgi_temp_path {tmp}/nu; scgi_temp_path {tmp}/ns;
  server {{
    listen 127.0.0.1:{port};
    client_max_body_size 0;
    location / {{
      auth_basic "git"; auth_basic_user_file {tmp}/htpasswd;
      include /etc/nginx/fastcgi_params;
      fastcgi_pass unix:{sock};
      fastcgi_param SCRIPT_FILENAME /usr/lib/git-core/git-http-backend;
      fastcgi_param GIT_PROJECT_ROOT {root};
      fastcgi_param GIT_HTTP_EXPORT_ALL "";
      fastcgi_param PATH_INFO $uri;
      fastcgi_param REMOTE_USER $remote_user;
    }}
  }}
}}
""")
    procs = [subprocess.Popen(["fcgiwrap", "-s", f"unix:{sock}"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    procs.append(subprocess.Popen(["nginx", "-c", conf, "-p", tmp], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL))
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), 0.1).close()
            if os.path.exists(sock):
                break
        except OSError:
            pass
        time.sleep(0.05)

    def url(i):
        d = os.path.join(root, f"big{i}.git")
        git(env, "init", "-q", "--bare", "-b", "main", d)
        git(env, "config", "http.receivepack", "true", cwd=d)
        return f"http://bench:secret@127.0.0.1:{port}/big{i}.git"
    return url, procs


def bench_events(f):
    sqs = f.client("sqs", "tools", region=REGION)
    ev = f.client("events", "tools", region=REGION)
    url = sqs.create_queue(QueueName="eb-bench")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sqs:SendMessage", "Resource": arn}]})})
    ev.put_rule(Name="bench", EventPattern=json.dumps({"source": ["bench"]}))
    ev.put_targets(Rule="bench", Targets=[{"Id": "q", "Arn": arn}])
    seen, lock, done = set(), threading.Lock(), threading.Event()
    t_all = [None]

    def recv(c):
        while not done.is_set():
            ms_ = c.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                    VisibilityTimeout=600).get("Messages", [])
            with lock:
                for m in ms_:
                    seen.add(m["MessageId"])
                if len(seen) >= EVENTS and not done.is_set():
                    t_all[0] = time.time()
                    done.set()

    failed = [0]
    senders = [f.client("events", "tools", region=REGION) for _ in range(4)]

    def send(k, source="bench"):
        c = senders[k]
        for i in range(k, EVENTS // 10, 4):
            r = c.put_events(Entries=[{"Source": source, "DetailType": "bench",
                                       "Detail": json.dumps({"n": i * 10 + j})} for j in range(10)])
            failed[0] += r["FailedEntryCount"]

    receivers = [threading.Thread(target=recv, args=(f.client("sqs", "tools", region=REGION),))
                 for _ in range(4)]
    for t in receivers:
        t.start()
    time.sleep(0.2)
    t0 = time.time()
    with concurrent.futures.ThreadPoolExecutor(4) as ex:
        list(ex.map(send, range(4)))
    t_sent = time.time()
    done.wait(120)
    done.set()
    for t in receivers:
        t.join()
    if failed[0] or t_all[0] is None:
        raise RuntimeError(f"failed entries {failed[0]}, received {len(seen)}")
    # PutEvents alone: events of a source no rule matches, nobody receiving
    t1 = time.time()
    with concurrent.futures.ThreadPoolExecutor(4) as ex:
        list(ex.map(lambda k: send(k, "nomatch"), range(4)))
    alone = time.time() - t1
    if failed[0]:
        raise RuntimeError(f"failed entries {failed[0]}")
    return t_sent - t0, t_all[0] - t0, alone


def main():
    load_before = os.getloadavg()
    tmp = tempfile.mkdtemp(prefix="cb-bench-")
    f = Ferry().start()
    try:
        f.init()
        iam = f.client("iam", "tools")
        role = iam.create_role(RoleName="cb", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
        iam.put_role_policy(RoleName="cb", PolicyName="all", PolicyDocument=json.dumps(ALL))
        cb = f.client("codebuild", "tools", region=REGION)
        # BENCH_PARTS=git (or start,logs,git,events) runs only those parts
        parts = os.environ.get("BENCH_PARTS", "start,logs,git,events").split(",")
        lat, ret, bare = bench_start(f, cb, role, tmp) if "start" in parts else (None, None, None)
        lags, poll = bench_logs(f, cb, role) if "logs" in parts else (None, None)
        g = bench_git(f, tmp) if "git" in parts else None
        put_s, all_s, alone_s = bench_events(f) if "events" in parts else (None, None, None)
    finally:
        f.close()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"### CodeBuild, CodeCommit git, EventBridge ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"{platform.node()}, {os.cpu_count()} cores, {platform.machine()}, load average "
          f"{load_before[0]:.2f}/{load_before[1]:.2f}/{load_before[2]:.2f} before; parts: {','.join(parts)})\n")
    if "start" in parts or "logs" in parts:
        print("| figure | median | p90 | target | met |")
        print("|---|---|---|---|---|")
    if "start" in parts:
        over = statistics.median(lat) - statistics.median(bare)
        print(f"| StartBuild → first command running ({BUILDS} builds) | {ms(statistics.median(lat))} | "
              f"{ms(pct(lat, 90))} | | |")
        print(f"| bare `bash -c 'date +%s.%N > FILE'` from Python | {ms(statistics.median(bare))} | "
              f"{ms(pct(bare, 90))} | | |")
        print(f"| StartBuild over bare bash | {ms(over)} | {ms(pct(lat, 90) - pct(bare, 90))} | ≤ 20 ms | "
              f"{'yes' if over <= 0.020 else 'no'} |")
        print(f"| StartBuild call itself (returns) | {ms(statistics.median(ret))} | {ms(pct(ret, 90))} | | |")
    if "logs" in parts:
        print(f"| printed line → seen by GetLogEvents ({len(lags)} lines; one poll {ms(poll)}) | "
              f"{ms(statistics.median(lags))} | {ms(pct(lags, 90))} | ≤ 100 ms | "
              f"{'yes' if statistics.median(lags) <= 0.100 else 'no'} |")
    print()
    if g:
        print(f"| git, 10,000 files ({GIT_RUNS} runs, median) | ferry smart HTTP | peer | ratio (their time / ferry's) | target ≥ 0.9× | met |")
        print("|---|---|---|---|---|---|")
        fp, fc = g["ferry"][0], g["ferry"][1]
        for peer in ("http-backend", "daemon"):
            if peer not in g:
                continue
            label = ("`git http-backend` behind nginx (fcgiwrap, basic auth)" if peer == "http-backend"
                     else "`git daemon` (git://)")
            pp, pc = g[peer][0], g[peer][1]
            print(f"| push | {fp:.2f} s | {label} {pp:.2f} s | {pp / fp:.2f}× | ≥ 0.9× | {'yes' if pp / fp >= 0.9 else 'no'} |")
            print(f"| clone | {fc:.2f} s | {label} {pc:.2f} s | {pc / fc:.2f}× | ≥ 0.9× | {'yes' if pc / fc >= 0.9 else 'no'} |")
        print("\nruns: " + "; ".join(f"{k} push {[round(x, 2) for x in v[2]]}, clone {[round(x, 2) for x in v[3]]}"
                                    for k, v in g.items()) + "\n")
    if "events" in parts:
        print("| EventBridge → SQS | events | PutEvents calls | seconds | figure |")
        print("|---|---|---|---|---|")
        print(f"| PutEvents, rule → SQS target, while receiving (4 threads, batches of 10) | {EVENTS:,} | "
              f"{EVENTS // 10} | {put_s:.2f} | {EVENTS // 10 / put_s:,.0f} calls/s ({EVENTS / put_s:,.0f} events/s) |")
        print(f"| until all received from the queue (4 receivers) | {EVENTS:,} | {EVENTS // 10} | {all_s:.2f} | "
              f"{EVENTS / all_s:,.0f} events/s |")
        print(f"| PutEvents alone: no rule matches, nobody receiving (4 threads) | {EVENTS:,} | {EVENTS // 10} | "
              f"{alone_s:.2f} | {EVENTS // 10 / alone_s:,.0f} calls/s ({EVENTS / alone_s:,.0f} events/s) |")
    print(f"\nload average after: {'/'.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
