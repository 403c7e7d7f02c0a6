"""The demo is the main job: it must run end to end and show what it claims."""
import os
import subprocess

from ferrytest import FERRY_BIN

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def test_demo_runs_end_to_end():
    env = dict(os.environ, FERRY_BIN=FERRY_BIN)
    r = subprocess.run(["sh", os.path.join(ROOT, "examples", "demo.sh")], capture_output=True,
                       text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    out = r.stdout
    for step in range(1, 8):
        assert f"== {step}." in out
    # three accounts, each the same in two regions
    arns = [l.split()[-1] for l in out.splitlines() if l.strip().startswith(("tools ", "booking ", "airmiles "))
            and "arn:aws:iam::" in l]
    assert len(arns) == 6 and len(set(arns)) == 3
    assert "AccessDeniedException" in out
    assert "SignatureDoesNotMatch" in out
    assert "errorCode" in out
