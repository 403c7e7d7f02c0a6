#!/bin/sh
# make bench: every benchmark; results printed as markdown to paste into bench/RESULTS.md.
set -eu
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
FERRY_BIN="$here/../$build/ferry" /usr/bin/python3 "$here/server_bench.py"
echo; FERRY_BIN="$here/../$build/ferry" /usr/bin/python3 "$here/s3_bench.py"
echo; FERRY_BIN="$here/../$build/ferry" /usr/bin/python3 "$here/fn_bench.py"
echo; FERRY_BIN="$here/../$build/ferry" /usr/bin/python3 "$here/ddb_bench.py"
echo; FERRY_BIN="$here/../$build/ferry" /usr/bin/python3 "$here/serverless_bench.py"
echo; FERRY_BIN="$here/../$build/ferry" /usr/bin/python3 "$here/codebuild_bench.py"
echo; FERRY_BIN="$here/../$build/ferry" /usr/bin/python3 "$here/discovery_bench.py"
echo; FERRY_BIN="$here/../$build/ferry" /usr/bin/python3 "$here/pipeline_bench.py"
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo; FERRY_BIN="$here/../$build/ferry" /usr/bin/python3 "$here/pgnodes_bench.py"
fi
for b in "$here/../$build"/*_bench; do
  [ -x "$b" ] || continue
  echo; echo "### $(basename "$b")"; echo '```'; "$b"; echo '```'
done
