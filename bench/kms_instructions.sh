#!/usr/bin/env bash
# CPU cost of the KMS hot path as instruction counts, which unlike requests/s do not depend on
# what else the machine is doing: runs the release server under callgrind and prints the
# instructions the whole process (every thread: HTTP, pipeline, audit writer) executes per
# Encrypt (1 KiB), Decrypt and GenerateDataKey call.
#
#   bench/kms_instructions.sh            # N=2000 sequential calls per operation, one connection
#   N=500 BIN=path/to/rampart bench/kms_instructions.sh
#
# Valgrind hides the CPU's SHA extensions, so SHA-256 (payload hash, SigV4) counts several times
# what it costs natively; compare runs with each other, not with wall-clock profiles.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-2000}
command -v valgrind >/dev/null || { echo "installing valgrind"; apt-get update -qq && apt-get install -y -qq valgrind >/dev/null; }
scripts/setup-test-deps
if [ -z "${BIN:-}" ]; then
  cargo build --release --locked -p rampart >/dev/null
  BIN="${CARGO_TARGET_DIR:-target}/release/rampart"
fi

WORK=$(mktemp -d /tmp/rampart-kms-instructions.XXXXXX)
VG=
cleanup() { [ -n "$VG" ] && kill "$VG" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export RAMPART_ROOT_ACCESS_KEY_ID=AKIABENCHMARK0000001 RAMPART_ROOT_SECRET_ACCESS_KEY=benchmarkbenchmarkbenchmarkbenchmark0000
RUST_LOG=warn valgrind --tool=callgrind --callgrind-out-file="$WORK/callgrind.out.%p" \
  "$BIN" serve --http --data-dir "$WORK/data" --listen 127.0.0.1:"$PORT" 2>"$WORK/server.log" &
VG=$!
for _ in $(seq 600); do (exec 3<>/dev/tcp/127.0.0.1/"$PORT") 2>/dev/null && break; sleep 0.1; done
for _ in $(seq 100); do [ -f "$WORK/data/server.json" ] && break; sleep 0.1; done
.venv/bin/python bench/kms_instructions.py "http://127.0.0.1:$PORT" "$VG" "$N" "$WORK"
