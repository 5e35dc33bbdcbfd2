#!/usr/bin/env bash
# Soak under hostile connections: valid calls' throughput with and without hostile clients in one
# run, and the server's RSS and open files over time.
#
#   bench/hostile_soak.sh                       # 60 s baseline, then 600 s with hostile clients
#   BASELINE=30 SOAK=120 IDLE=1000 SLOW=200 PREFACE=100 bench/hostile_soak.sh
#
# Valid load: wrk (keep-alive, CONNECTIONS connections) replaying signed STS GetCallerIdentity and
# KMS ListKeys, half the connections each. Hostile load (bench/hostile_clients.py): IDLE
# connections that send nothing, SLOW correctly signed requests trickling their body at 1 byte/s,
# PREFACE half HTTP/2 prefaces; each one the server closes is reopened at once, so the server always
# faces about IDLE+SLOW+PREFACE of them. Rampart runs as it ships (plain HTTP here, every call
# verified, authorized and durably audited), with its default limits.
set -euo pipefail
cd "$(dirname "$0")/.."
BASELINE=${BASELINE:-60}
SOAK=${SOAK:-600}
CONNECTIONS=${CONNECTIONS:-16}
IDLE=${IDLE:-1000}
SLOW=${SLOW:-200}
PREFACE=${PREFACE:-100}
if [ $((BASELINE + SOAK)) -gt 840 ]; then echo "BASELINE + SOAK must stay under 14 minutes (signatures last 15)" >&2; exit 2; fi

source bench/common.sh
need wrk wrk
scripts/setup-test-deps >/dev/null
PY=.venv/bin/python
build_release
ulimit -n "$(ulimit -Hn)"

WORK=$(mktemp -d /tmp/rampart-soak.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

P=$(port)
export RAMPART_ROOT_ACCESS_KEY_ID=AKIABENCHMARK0000001 RAMPART_ROOT_SECRET_ACCESS_KEY=benchmarkbenchmarkbenchmarkbenchmark0000
RUST_LOG=warn "$BIN" serve --http --data-dir "$WORK/data" --listen 127.0.0.1:$P 2>"$WORK/rampart.log" & SERVER=$!; PIDS+=($SERVER)
wait_port "$P"
$PY bench/sign_request.py "$WORK/sts.lua" "http://127.0.0.1:$P" "$RAMPART_ROOT_ACCESS_KEY_ID" "$RAMPART_ROOT_SECRET_ACCESS_KEY" sts "Action=GetCallerIdentity&Version=2011-06-15"
$PY bench/sign_request.py "$WORK/kms.lua" "http://127.0.0.1:$P" "$RAMPART_ROOT_ACCESS_KEY_ID" "$RAMPART_ROOT_SECRET_ACCESS_KEY" kms "{}" TrentService.ListKeys application/x-amz-json-1.1
for s in sts kms; do
  out=$(wrk -t1 -c1 -d1s -s "$WORK/$s.lua" "http://127.0.0.1:$P" 2>&1)
  if grep -q "Non-2xx" <<<"$out"; then echo "the signed $s request is refused:"; echo "$out"; exit 1; fi
done

sample() { # prints RSS and open files of the server every 30 s until killed
  while sleep 30; do
    printf '  server: RSS %6d KiB, open files %5d\n' "$(awk '/VmRSS/ {print $2}' /proc/$SERVER/status)" "$(ls /proc/$SERVER/fd | wc -l)"
  done
}

# load SECONDS: valid calls/s over SECONDS (sum of both wrk runs).
load() {
  local half=$((CONNECTIONS / 2))
  wrk -t1 -c"$half" -d"$1"s -s "$WORK/sts.lua" "http://127.0.0.1:$P" >"$WORK/sts.out" 2>&1 &
  local a=$!
  wrk -t1 -c"$half" -d"$1"s -s "$WORK/kms.lua" "http://127.0.0.1:$P" >"$WORK/kms.out" 2>&1
  wait "$a"
  for f in sts kms; do grep -q "Non-2xx" "$WORK/$f.out" && { echo "valid $f calls failed:"; cat "$WORK/$f.out"; exit 1; }; done
  awk '/Requests\/sec/ {s += $2} END {printf "%.0f\n", s}' "$WORK/sts.out" "$WORK/kms.out"
}

echo "valid load: wrk -c$CONNECTIONS (STS GetCallerIdentity + KMS ListKeys), $(nproc) cores"
printf '  server at start: RSS %d KiB, open files %d\n' "$(awk '/VmRSS/ {print $2}' /proc/$SERVER/status)" "$(ls /proc/$SERVER/fd | wc -l)"
echo "phase 1: ${BASELINE}s without hostile clients"
base=$(load "$BASELINE")
echo "  valid calls/s: $base"
echo "phase 2: ${SOAK}s with $IDLE idle, $SLOW slow-body and $PREFACE half-preface connections held open"
$PY bench/hostile_clients.py 127.0.0.1 "$P" "$SOAK" "$IDLE" "$SLOW" "$PREFACE" & PIDS+=($!)
sample & PIDS+=($!)
sleep 5
soak=$(load $((SOAK - 5)))
echo "  valid calls/s: $soak"
printf '  server at end: RSS %d KiB, open files %d\n' "$(awk '/VmRSS/ {print $2}' /proc/$SERVER/status)" "$(ls /proc/$SERVER/fd | wc -l)"
echo "with hostile clients / without: $(awk -v a="$soak" -v b="$base" 'BEGIN {printf "%.2f", a / b}')"
