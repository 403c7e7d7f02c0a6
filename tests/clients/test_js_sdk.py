"""Runs the AWS SDK for JavaScript v3 tests (tests/clients/js/*.test.mjs, node:test)
against a fresh ferry. Each file gets FERRY_ENDPOINT and the profiles' keys in its
environment (FERRY_KEYS = JSON {profile: [akid, secret]})."""
import glob
import json
import os
import subprocess

import pytest

HERE = os.path.dirname(__file__)
NODE_PATH = os.path.join(HERE, "..", "..", "tools", "npm", "node_modules")
FILES = sorted(glob.glob(os.path.join(HERE, "js", "*.test.mjs")))


@pytest.mark.parametrize("path", FILES, ids=[os.path.basename(f) for f in FILES])
def test_js(ferry, path):
    keys = {p: list(ferry.keys(p)) for p in ("management", "tools", "dev", "qa", "prod")}
    env = dict(ferry.env(), FERRY_ENDPOINT=ferry.endpoint, FERRY_KEYS=json.dumps(keys),
               NODE_PATH=os.path.abspath(NODE_PATH))
    r = subprocess.run(["node", "--test", path], capture_output=True, text=True, env=env,
                       timeout=300, cwd=os.path.join(HERE, "..", "..", "tools", "npm"))
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-4000:]
