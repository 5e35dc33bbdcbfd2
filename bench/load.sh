#!/usr/bin/env bash
# Side-by-side load benchmark: Rampart vs moto_server vs a static nginx (the loopback ceiling),
# in one run, with the same signed requests and the same load generator (wrk, keep-alive).
#
#   bench/load.sh                 # defaults: 5 s per round, 3 rounds, 16 connections, 1 wrk thread
#   DURATION=10 ROUNDS=5 CONNECTIONS=32 bench/load.sh
#
# Rampart runs as it ships: every signature verified, every call authorized, every call's audit
# record durable (fsync, group commit) before its response. Prints requests/s (median of the
# rounds) for each server and the ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-5}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-16}
THREADS=${THREADS:-1}

source bench/common.sh
need wrk wrk
need nginx nginx-light
scripts/setup-test-deps
PY=.venv/bin/python
if ! .venv/bin/python -c "import moto.server" 2>/dev/null; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check "moto[server]==5.2.1"
fi
build_release

WORK=$(mktemp -d /tmp/rampart-bench.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT


RH=$(port); RT=$(port); MP=$(port); NP=$(port); MI=$(port)
export RAMPART_ROOT_ACCESS_KEY_ID=AKIABENCHMARK0000001 RAMPART_ROOT_SECRET_ACCESS_KEY=benchmarkbenchmarkbenchmarkbenchmark0000
RUST_LOG=warn "$BIN" serve --http --data-dir "$WORK/http" --listen 127.0.0.1:$RH 2>"$WORK/rh.log" & PIDS+=($!)
RUST_LOG=warn "$BIN" serve --data-dir "$WORK/tls" --listen 127.0.0.1:$RT 2>"$WORK/rt.log" & PIDS+=($!)
$PY -m moto.server -H 127.0.0.1 -p "$MP" >"$WORK/moto.log" 2>&1 & PIDS+=($!)
# A second moto with its IAM enforcement on after the 5 set-up calls below.
INITIAL_NO_AUTH_ACTION_COUNT=5 $PY -m moto.server -H 127.0.0.1 -p "$MI" >"$WORK/moto-iam.log" 2>&1 & PIDS+=($!)
sed "s/__PORT__/$NP/" bench/nginx.conf > "$WORK/nginx.conf"
nginx -c "$WORK/nginx.conf" -p "$WORK" & PIDS+=($!)
for p in $RH $RT $MP $NP $MI; do wait_port "$p"; done

BODY="Action=GetCallerIdentity&Version=2011-06-15"
$PY bench/sign_request.py "$WORK/rh.lua" "http://127.0.0.1:$RH" "$RAMPART_ROOT_ACCESS_KEY_ID" "$RAMPART_ROOT_SECRET_ACCESS_KEY" sts "$BODY"
$PY bench/sign_request.py "$WORK/rt.lua" "https://127.0.0.1:$RT" "$RAMPART_ROOT_ACCESS_KEY_ID" "$RAMPART_ROOT_SECRET_ACCESS_KEY" sts "$BODY"
$PY bench/sign_request.py "$WORK/moto.lua" "http://127.0.0.1:$MP" "$RAMPART_ROOT_ACCESS_KEY_ID" "$RAMPART_ROOT_SECRET_ACCESS_KEY" sts "$BODY"

# An authorized non-root call: iam:GetUser by a user whose permission comes from a group policy.
read -r RUK RUS _ < <($PY bench/setup_iam_user.py "http://127.0.0.1:$RH" "$RAMPART_ROOT_ACCESS_KEY_ID" "$RAMPART_ROOT_SECRET_ACCESS_KEY")
read -r MUK MUS _ < <($PY bench/setup_iam_user.py "http://127.0.0.1:$MI" AKIAMOTOSETUP0000000 motosetupmotosetupmotosetup)
IAM_BODY="Action=GetUser&Version=2010-05-08"
$PY bench/sign_request.py "$WORK/rh-iam.lua" "http://127.0.0.1:$RH" "$RUK" "$RUS" iam "$IAM_BODY"
$PY bench/sign_request.py "$WORK/moto-iam.lua" "http://127.0.0.1:$MI" "$MUK" "$MUS" iam "$IAM_BODY"

# Sanity: each target answers the signed request with 200 before it is measured.
for t in "http://127.0.0.1:$RH rh" "https://127.0.0.1:$RT rt" "http://127.0.0.1:$MP moto" "http://127.0.0.1:$RH rh-iam" "http://127.0.0.1:$MI moto-iam"; do
  set -- $t
  out=$(wrk -t1 -c1 -d1s -s "$WORK/$2.lua" "$1" 2>&1)
  if ! grep -q "non2xx=0" <<<"$out"; then echo "$2 did not answer 200:"; echo "$out"; tail -5 "$WORK"/*.log; exit 1; fi
done

measure() { # url lua -> requests/s
  local url=$1 lua=$2
  local args=(-t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s")
  [ -n "$lua" ] && args+=(-s "$lua")
  local out; out=$(wrk "${args[@]}" "$url" 2>&1)
  if [ -n "$lua" ] && ! grep -q "non2xx=0" <<<"$out"; then echo "errors during run: $out" >&2; fi
  awk '/Requests\/sec/ {print $2}' <<<"$out"
}

declare -A R
for name in nginx rampart_http rampart_tls moto rampart_iam moto_iam; do R[$name]=""; done
for round in $(seq "$ROUNDS"); do
  R[nginx]+="$(measure "http://127.0.0.1:$NP" "")"$'\n'
  R[rampart_http]+="$(measure "http://127.0.0.1:$RH" "$WORK/rh.lua")"$'\n'
  R[rampart_tls]+="$(measure "https://127.0.0.1:$RT" "$WORK/rt.lua")"$'\n'
  R[moto]+="$(measure "http://127.0.0.1:$MP" "$WORK/moto.lua")"$'\n'
  R[rampart_iam]+="$(measure "http://127.0.0.1:$RH" "$WORK/rh-iam.lua")"$'\n'
  R[moto_iam]+="$(measure "http://127.0.0.1:$MI" "$WORK/moto-iam.lua")"$'\n'
done
declare -A M
for name in "${!R[@]}"; do M[$name]=$(printf '%s' "${R[$name]}" | grep . | median); done

AUDITED=$("$BIN" audit lookup-events --data-dir "$WORK/http" --max-results 100000000 | wc -l)
echo
echo "STS GetCallerIdentity, wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s, median of $ROUNDS rounds, $(nproc) cores"
printf '%-34s %12s\n' "target" "requests/s"
printf '%-34s %12.0f\n' "nginx static (loopback ceiling)" "${M[nginx]}"
printf '%-34s %12.0f\n' "rampart, plain HTTP" "${M[rampart_http]}"
printf '%-34s %12.0f\n' "rampart, TLS" "${M[rampart_tls]}"
printf '%-34s %12.0f\n' "moto_server (no checks)" "${M[moto]}"
awk -v r="${M[rampart_http]}" -v t="${M[rampart_tls]}" -v m="${M[moto]}" -v n="${M[nginx]}" 'BEGIN {
  printf "rampart HTTP / moto      = %.1fx\n", r / m
  printf "rampart TLS / moto       = %.1fx\n", t / m
  printf "rampart HTTP / nginx     = %.0f%%\n", 100 * r / n
}'
echo
echo "iam:GetUser by a non-root user allowed through a group policy (authorization on)"
printf '%-34s %12.0f\n' "rampart, plain HTTP" "${M[rampart_iam]}"
printf '%-34s %12.0f\n' "moto_server (INITIAL_NO_AUTH_ACTION_COUNT)" "${M[moto_iam]}"
awk -v r="${M[rampart_iam]}" -v m="${M[moto_iam]}" 'BEGIN { printf "rampart / moto           = %.1fx\n", r / m }'
echo "audit records durable in the HTTP server's log: $AUDITED (one per request served)"
