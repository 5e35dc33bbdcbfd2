#!/usr/bin/env bash
# One node on the embedded store vs one and two nodes sharing one PostgreSQL, in one run, with the
# same signed requests and the same load generator (wrk, keep-alive, plain HTTP).
#
#   bench/pg_nodes.sh                  # defaults: 5 s per round, 3 rounds, 64 connections in all
#   DURATION=10 ROUNDS=5 CONNECTIONS=128 NODE_CPU=0.3 bench/pg_nodes.sh
#
# Every call is verified, authorized and audited durably (SQLite fsync, or PostgreSQL commit with
# synchronous_commit=on) before it is answered. For two nodes, two wrk processes run at once, one
# per node, each with half the connections; their rates are added. Read-heavy calls:
# sts:GetCallerIdentity (no state read: credentials and policies come from the caches) and
# iam:GetUser by a user allowed through a group policy (the user record, read through the
# node's read cache on PostgreSQL).
#
# Two phases:
# - shared: every process shares this machine's cores, as they come. On a small machine the
#   nodes, PostgreSQL and wrk compete for the same cores, so this shows cost, not scale-out.
# - budgeted: each Rampart node is held to NODE_CPU cores (default 0.4) by a cgroup CPU quota,
#   as if each node were a machine of its own; PostgreSQL and wrk are not limited. Adding a node
#   adds its budget, which is what running nodes on separate machines does. Needs root and the
#   cgroup cpu controller (v1 or v2); skipped otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-5}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-64}
NODE_CPU=${NODE_CPU:-0.4}

source bench/common.sh
need wrk wrk
scripts/setup-test-deps
PY=.venv/bin/python
build_release
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)

WORK=$(mktemp -d /tmp/rampart-pgbench.XXXXXX)
PIDS=()
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
CGROUPS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for g in "${CGROUPS[@]}"; do rmdir "$g" 2>/dev/null || true; done
  as_pg "$PGBIN/pg_ctl" -D "$WORK/pg" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# Per-node CPU budgets: one cgroup per node (v2 cpu.max, or v1 cpu.cfs_quota_us).
CG=""
if [ -w /sys/fs/cgroup/cgroup.subtree_control ] && grep -qw cpu /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
  CG=v2; CGROOT=/sys/fs/cgroup
elif [ -w /sys/fs/cgroup/cpu ]; then
  CG=v1; CGROOT=/sys/fs/cgroup/cpu
fi
# in_cgroup NAME PID: puts the process (every thread) into its own group NAME.
in_cgroup() {
  [ -n "$CG" ] || return 0
  local g="$CGROOT/rampart-bench-$$-$1"
  mkdir -p "$g" && CGROUPS+=("$g")
  echo "$2" >"$g/cgroup.procs"
}
# budget CORES|max: sets every node group's CPU limit.
budget() {
  local us=max
  [ "$1" = max ] || us=$(awk -v c="$1" 'BEGIN { printf "%d", c * 100000 }')
  for g in "${CGROUPS[@]}"; do
    if [ "$CG" = v2 ]; then echo "$us 100000" >"$g/cpu.max"
    else echo 100000 >"$g/cpu.cfs_period_us"; [ "$us" = max ] && us=-1; echo "$us" >"$g/cpu.cfs_quota_us"; fi
  done
}


# A throwaway PostgreSQL cluster with its defaults (fsync and synchronous_commit on).
PGPORT=$(port)
[ "$(id -u)" -eq 0 ] && chown postgres "$WORK"
as_pg "$PGBIN/initdb" -D "$WORK/pg" -A trust -U rampart >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg.log" -w \
  -o "-p $PGPORT -k $WORK -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
"$PGBIN/psql" -q -h 127.0.0.1 -p "$PGPORT" -U rampart -d postgres -c "CREATE DATABASE rampart"
STORE="postgres://rampart@127.0.0.1:$PGPORT/rampart"

S=$(port); P1=$(port); P2=$(port)
export RAMPART_ROOT_ACCESS_KEY_ID=AKIABENCHMARK0000001 RAMPART_ROOT_SECRET_ACCESS_KEY=benchmarkbenchmarkbenchmarkbenchmark0000
RUST_LOG=warn "$BIN" serve --http --data-dir "$WORK/sqlite" --listen 127.0.0.1:$S 2>"$WORK/s.log" & PIDS+=($!)
in_cgroup s $!
RUST_LOG=warn "$BIN" serve --http --data-dir "$WORK/n1" --listen 127.0.0.1:$P1 --store "$STORE" 2>"$WORK/n1.log" & PIDS+=($!)
in_cgroup n1 $!
wait_port "$P1"
RUST_LOG=warn "$BIN" serve --http --data-dir "$WORK/n2" --listen 127.0.0.1:$P2 --store "$STORE" \
  --master-key "$WORK/n1/master.key" 2>"$WORK/n2.log" & PIDS+=($!)
in_cgroup n2 $!
for p in $S $P2; do wait_port "$p"; done

STS_BODY="Action=GetCallerIdentity&Version=2011-06-15"
IAM_BODY="Action=GetUser&Version=2010-05-08"
read -r SUK SUS _ < <($PY bench/setup_iam_user.py "http://127.0.0.1:$S" "$RAMPART_ROOT_ACCESS_KEY_ID" "$RAMPART_ROOT_SECRET_ACCESS_KEY")
read -r PUK PUS _ < <($PY bench/setup_iam_user.py "http://127.0.0.1:$P1" "$RAMPART_ROOT_ACCESS_KEY_ID" "$RAMPART_ROOT_SECRET_ACCESS_KEY")
for t in "s $S $SUK $SUS" "n1 $P1 $PUK $PUS" "n2 $P2 $PUK $PUS"; do
  set -- $t
  $PY bench/sign_request.py "$WORK/$1-sts.lua" "http://127.0.0.1:$2" "$RAMPART_ROOT_ACCESS_KEY_ID" "$RAMPART_ROOT_SECRET_ACCESS_KEY" sts "$STS_BODY"
  $PY bench/sign_request.py "$WORK/$1-iam.lua" "http://127.0.0.1:$2" "$3" "$4" iam "$IAM_BODY"
done
# Sanity: every target answers 200 (the user made through node 1 works through node 2).
for t in s n1 n2; do
  for op in sts iam; do
    port_var=$([ $t = s ] && echo $S || ([ $t = n1 ] && echo $P1 || echo $P2))
    out=$(wrk -t1 -c1 -d1s -s "$WORK/$t-$op.lua" "http://127.0.0.1:$port_var" 2>&1)
    if ! grep -q "non2xx=0" <<<"$out"; then echo "$t $op did not answer 200:"; echo "$out"; tail -5 "$WORK"/*.log; exit 1; fi
  done
done

rate() { awk '/Requests\/sec/ {print $2}' <<<"$1"; }
check() { grep -q "non2xx=0" <<<"$1" || echo "errors during run: $1" >&2; }
one() { # port lua -> requests/s
  local out; out=$(wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" -s "$2" "http://127.0.0.1:$1" 2>&1); check "$out"; rate "$out"
}
two() { # op -> requests/s of both nodes together
  local half=$((CONNECTIONS / 2)) a b
  wrk -t1 -c"$half" -d"${DURATION}s" -s "$WORK/n1-$1.lua" "http://127.0.0.1:$P1" >"$WORK/w1" 2>&1 &
  wrk -t1 -c"$half" -d"${DURATION}s" -s "$WORK/n2-$1.lua" "http://127.0.0.1:$P2" >"$WORK/w2" 2>&1
  wait %1 2>/dev/null || wait
  check "$(cat "$WORK/w1")"; check "$(cat "$WORK/w2")"
  a=$(rate "$(cat "$WORK/w1")"); b=$(rate "$(cat "$WORK/w2")")
  awk -v a="$a" -v b="$b" 'BEGIN { print a + b }'
}

PHASES=(shared)
[ -n "$CG" ] && PHASES+=(budgeted)
declare -A R
for phase in "${PHASES[@]}"; do
  if [ "$phase" = budgeted ]; then budget "$NODE_CPU"; else budget max; fi
  for round in $(seq "$ROUNDS"); do
    R[$phase.s_sts]+="$(one "$S" "$WORK/s-sts.lua")"$'\n'
    R[$phase.p1_sts]+="$(one "$P1" "$WORK/n1-sts.lua")"$'\n'
    R[$phase.p2_sts]+="$(two sts)"$'\n'
    R[$phase.s_iam]+="$(one "$S" "$WORK/s-iam.lua")"$'\n'
    R[$phase.p1_iam]+="$(one "$P1" "$WORK/n1-iam.lua")"$'\n'
    R[$phase.p2_iam]+="$(two iam)"$'\n'
  done
done
budget max
declare -A M
for k in "${!R[@]}"; do M[$k]=$(printf '%s' "${R[$k]}" | grep . | median); done

EVENTS=$("$BIN" audit lookup-events --store "$STORE" --max-results 100000000 | wc -l)
echo
echo "wrk -c$CONNECTIONS in all, -d${DURATION}s, median of $ROUNDS rounds, plain HTTP, $(nproc) cores"
for phase in "${PHASES[@]}"; do
  echo
  if [ "$phase" = shared ]; then
    echo "shared: nodes, PostgreSQL and wrk all share the machine's cores"
  else
    echo "budgeted: each Rampart node held to $NODE_CPU cores (cgroup $CG); PostgreSQL and wrk not limited"
  fi
  printf '%-44s %18s %14s\n' "" "GetCallerIdentity" "iam:GetUser"
  printf '%-44s %18.0f %14.0f\n' "1 node, embedded SQLite" "${M[$phase.s_sts]}" "${M[$phase.s_iam]}"
  printf '%-44s %18.0f %14.0f\n' "1 node, PostgreSQL" "${M[$phase.p1_sts]}" "${M[$phase.p1_iam]}"
  printf '%-44s %18.0f %14.0f\n' "2 nodes, one PostgreSQL (sum)" "${M[$phase.p2_sts]}" "${M[$phase.p2_iam]}"
  awk -v a="${M[$phase.p2_sts]}" -v b="${M[$phase.s_sts]}" -v c="${M[$phase.p2_iam]}" -v d="${M[$phase.s_iam]}" 'BEGIN {
    printf "2 nodes on PostgreSQL / 1 node on SQLite:    %17.2fx %13.2fx\n", a / b, c / d }'
done
[ -n "$CG" ] || echo "(budgeted phase skipped: needs root and the cgroup cpu controller)"
echo "audit events in the shared PostgreSQL trail: $EVENTS (both nodes, one sequence)"
