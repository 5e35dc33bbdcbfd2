#!/usr/bin/env bash
# The model-driven protocol layer against the hand-written code it replaced, in one run: CPU cost
# per call as callgrind instruction counts (stable where wall time is not) for STS
# GetCallerIdentity, IAM GetUser and KMS Encrypt (1 KiB), each on one keep-alive connection,
# whole server process (HTTP, pipeline, audit writer). Prints both and the ratio.
#
#   bench/protocol_instructions.sh                       # BEFORE = commit 798be65 (hand-written)
#   N=500 BEFORE_BIN=path AFTER_BIN=path bench/protocol_instructions.sh
#
# Without BEFORE_BIN the baseline is built in a throwaway git worktree at $BASE (798be65, the
# last commit before the layer); without AFTER_BIN the current tree is built. Release builds.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-2000}
BASE=${BASE:-798be65}
command -v valgrind >/dev/null || { echo "installing valgrind"; apt-get update -qq && apt-get install -y -qq valgrind >/dev/null; }
scripts/setup-test-deps >/dev/null
if [ -z "${AFTER_BIN:-}" ]; then
  cargo build --release --locked -p rampart >/dev/null
  AFTER_BIN="${CARGO_TARGET_DIR:-target}/release/rampart"
fi
if [ -z "${BEFORE_BIN:-}" ]; then
  tree=$(mktemp -d /tmp/rampart-base.XXXXXX)
  git worktree add -q --detach "$tree" "$BASE"
  (cd "$tree" && cargo build --release --locked -p rampart >/dev/null)
  BEFORE_BIN="$tree/target/release/rampart"
fi

measure() {
  local bin=$1 work vg port
  work=$(mktemp -d /tmp/rampart-protocol-instructions.XXXXXX)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  export RAMPART_ROOT_ACCESS_KEY_ID=AKIABENCHMARK0000001 RAMPART_ROOT_SECRET_ACCESS_KEY=benchmarkbenchmarkbenchmarkbenchmark0000
  RUST_LOG=warn valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out.%p" \
    "$bin" serve --http --data-dir "$work/data" --listen 127.0.0.1:"$port" 2>"$work/server.log" &
  vg=$!
  for _ in $(seq 600); do (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.1; done
  for _ in $(seq 100); do [ -f "$work/data/server.json" ] && break; sleep 0.1; done
  .venv/bin/python bench/protocol_instructions.py "http://127.0.0.1:$port" "$vg" "$N" "$work" | tail -1
  kill "$vg" 2>/dev/null || true
  wait "$vg" 2>/dev/null || true
  rm -rf "$work"
}

echo "instructions per call, $N sequential calls each (callgrind, whole server process)"
before=$(measure "$BEFORE_BIN")
after=$(measure "$AFTER_BIN")
.venv/bin/python - "$before" "$after" <<'EOF'
import json, sys
before, after = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"{'call':24} {'hand-written':>14} {'model layer':>14} {'after/before':>13}")
for name in before:
    print(f"{name:24} {before[name]:14,} {after[name]:14,} {after[name] / before[name]:13.3f}")
EOF
