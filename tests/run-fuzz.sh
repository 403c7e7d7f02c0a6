#!/bin/sh
# Runs every built fuzz target briefly: first replays its committed corpus, then explores
# for SECONDS with new inputs kept in a temporary directory (the committed corpus stays as is).
set -eu
build=$1; seconds=${2:-10}
root=$(cd "$(dirname "$0")/.." && pwd)
n=0; failed=0
for bin in "$build"/*_fuzz; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin")
  corpus="$root/fuzz/corpus/$name"
  tmp=$(mktemp -d)
  mkdir -p "$corpus"
  if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=0 \
       -artifact_prefix="$tmp/" "$tmp" "$corpus" >"$tmp/log" 2>&1; then
    echo "fuzz: $name ok ($(grep -o "Done [0-9]* runs" "$tmp/log" | tail -1))"
  else
    echo "fuzz: $name FAILED"; tail -40 "$tmp/log"; failed=$((failed+1))
    cp "$tmp"/crash-* "$tmp"/leak-* "$tmp"/timeout-* "$root/fuzz/" 2>/dev/null || true
  fi
  n=$((n+1)); rm -rf "$tmp"
done
echo "fuzz: $n targets, $failed failed"
[ "$failed" -eq 0 ]
