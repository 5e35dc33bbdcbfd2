#!/usr/bin/env bash
# KMS side-by-side load benchmark: Rampart (plain HTTP and TLS) vs moto_server, in one run, with
# the same kind of signed requests and the same load generator (wrk, keep-alive):
#   Encrypt (1 KiB plaintext), Decrypt (of that ciphertext), GenerateDataKey (AES_256),
# plus Encrypt on a key in an HSM custom key store (SoftHSM2 over PKCS#11) beside the software
# keystore's rate.
#
#   bench/kms_load.sh                  # defaults: 5 s per round, 3 rounds, 16 connections, 1 wrk thread
#   DURATION=10 ROUNDS=5 CONNECTIONS=32 bench/kms_load.sh
#
# Rampart runs as it ships: every signature verified, every call authorized against the key
# policy, every call's audit record durable (fsync, group commit) before its response. Prints
# requests/s (median of the rounds) for each server and the ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-5}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-16}
THREADS=${THREADS:-1}

source bench/common.sh
need wrk wrk
scripts/setup-test-deps
PY=.venv/bin/python
if ! .venv/bin/python -c "import moto.server" 2>/dev/null; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check "moto[server]==5.2.1"
fi
build_release
SOFTHSM_MODULE=$(ls /usr/lib/softhsm/libsofthsm2.so /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so 2>/dev/null | head -1)

WORK=$(mktemp -d /tmp/rampart-kms-bench.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT


# A SoftHSM2 token of this run's own for the HSM keystore.
export SOFTHSM2_CONF="$WORK/softhsm2.conf"
mkdir -p "$WORK/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$WORK/tokens" > "$SOFTHSM2_CONF"
HSM_LABEL=cluster-kmsbench0001
softhsm2-util --init-token --free --label "$HSM_LABEL" --so-pin bench-so-pin --pin bench-user-pin >/dev/null

RH=$(port); RT=$(port); RS=$(port); MP=$(port)
export RAMPART_ROOT_ACCESS_KEY_ID=AKIABENCHMARK0000001 RAMPART_ROOT_SECRET_ACCESS_KEY=benchmarkbenchmarkbenchmarkbenchmark0000
RUST_LOG=warn "$BIN" serve --http --data-dir "$WORK/http" --listen 127.0.0.1:$RH 2>"$WORK/rh.log" & PIDS+=($!)
RUST_LOG=warn "$BIN" serve --data-dir "$WORK/tls" --listen 127.0.0.1:$RT 2>"$WORK/rt.log" & PIDS+=($!)
RUST_LOG=warn "$BIN" serve --http --data-dir "$WORK/hsm" --listen 127.0.0.1:$RS --pkcs11-module "$SOFTHSM_MODULE" 2>"$WORK/rs.log" & PIDS+=($!)
$PY -m moto.server -H 127.0.0.1 -p "$MP" >"$WORK/moto.log" 2>&1 & PIDS+=($!)
for p in $RH $RT $RS $MP; do wait_port "$p"; done
for d in http tls hsm; do for _ in $(seq 100); do [ -f "$WORK/$d/server.json" ] && break; sleep 0.05; done; done

# On each server: a key (an HSM key on the HSM server), a 1 KiB ciphertext, and the signed
# request bodies.
$PY - "$WORK" "$RH" "$RT" "$RS" "$MP" "$HSM_LABEL" <<'PYEOF'
import base64, json, os, sys
import boto3, botocore.config
work, rh, rt, rs, mp, label = sys.argv[1:]
key, secret = os.environ["RAMPART_ROOT_ACCESS_KEY_ID"], os.environ["RAMPART_ROOT_SECRET_ACCESS_KEY"]
targets = {"rh": (f"http://127.0.0.1:{rh}", False), "rt": (f"https://127.0.0.1:{rt}", f"{work}/tls/tls/ca.pem"),
           "rs": (f"http://127.0.0.1:{rs}", False), "moto": (f"http://127.0.0.1:{mp}", False)}
plaintext = os.urandom(1024)
for name, (url, verify) in targets.items():
    kms = boto3.client("kms", endpoint_url=url, verify=verify, region_name="us-east-1", aws_access_key_id=key,
                       aws_secret_access_key=secret, config=botocore.config.Config(retries={"max_attempts": 1}))
    if name == "rs":
        cks = kms.create_custom_key_store(CustomKeyStoreName="bench", CloudHsmClusterId=label,
                                          TrustAnchorCertificate="-", KeyStorePassword="bench-user-pin")["CustomKeyStoreId"]
        kms.connect_custom_key_store(CustomKeyStoreId=cks)
        state = kms.describe_custom_key_stores(CustomKeyStoreId=cks)["CustomKeyStores"][0]["ConnectionState"]
        assert state == "CONNECTED", state
        key_id = kms.create_key(Origin="AWS_CLOUDHSM", CustomKeyStoreId=cks)["KeyMetadata"]["KeyId"]
    else:
        key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=plaintext)["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == plaintext
    bodies = {
        "encrypt": {"KeyId": key_id, "Plaintext": base64.b64encode(plaintext).decode()},
        "decrypt": {"CiphertextBlob": base64.b64encode(blob).decode()},
        "datakey": {"KeyId": key_id, "KeySpec": "AES_256"},
    }
    for op, body in bodies.items():
        with open(f"{work}/{name}.{op}.json", "w") as f:
            f.write(json.dumps(body))
    with open(f"{work}/{name}.url", "w") as f:
        f.write(url)
PYEOF

declare -A TARGET=([encrypt]=TrentService.Encrypt [decrypt]=TrentService.Decrypt [datakey]=TrentService.GenerateDataKey)
for name in rh rt rs moto; do
  for op in encrypt decrypt datakey; do
    $PY bench/sign_request.py "$WORK/$name.$op.lua" "$(cat "$WORK/$name.url")" "$RAMPART_ROOT_ACCESS_KEY_ID" \
      "$RAMPART_ROOT_SECRET_ACCESS_KEY" kms "$(cat "$WORK/$name.$op.json")" "${TARGET[$op]}" "application/x-amz-json-1.1"
  done
done

# Sanity: each target answers each signed request with 200 before it is measured.
for name in rh rt rs moto; do
  for op in encrypt decrypt datakey; do
    out=$(wrk -t1 -c1 -d1s -s "$WORK/$name.$op.lua" "$(cat "$WORK/$name.url")" 2>&1)
    if ! grep -q "non2xx=0" <<<"$out"; then echo "$name $op did not answer 200:"; echo "$out"; tail -5 "$WORK"/*.log; exit 1; fi
  done
done

measure() { # url lua -> requests/s
  local out; out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" -s "$2" "$1" 2>&1)
  if ! grep -q "non2xx=0" <<<"$out"; then echo "errors during run: $out" >&2; fi
  awk '/Requests\/sec/ {print $2}' <<<"$out"
}

declare -A R
for round in $(seq "$ROUNDS"); do
  for op in encrypt decrypt datakey; do
    for name in rh rt moto; do
      R[$name.$op]+="$(measure "$(cat "$WORK/$name.url")" "$WORK/$name.$op.lua")"$'\n'
    done
  done
  R[rs.encrypt]+="$(measure "$(cat "$WORK/rs.url")" "$WORK/rs.encrypt.lua")"$'\n'
done
declare -A M
for k in "${!R[@]}"; do M[$k]=$(printf '%s' "${R[$k]}" | grep . | median); done

echo
echo "KMS, wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s, median of $ROUNDS rounds, $(nproc) cores (requests/s)"
printf '%-18s %14s %14s %14s %12s %12s\n' "operation" "rampart HTTP" "rampart TLS" "moto_server" "HTTP/moto" "TLS/moto"
for op in encrypt decrypt datakey; do
  label=$op; [ "$op" = encrypt ] && label="Encrypt 1 KiB"; [ "$op" = decrypt ] && label="Decrypt"; [ "$op" = datakey ] && label="GenerateDataKey"
  awk -v l="$label" -v h="${M[rh.$op]}" -v t="${M[rt.$op]}" -v m="${M[moto.$op]}" \
    'BEGIN { printf "%-18s %14.0f %14.0f %14.0f %11.1fx %11.1fx\n", l, h, t, m, h / m, t / m }'
done
awk -v s="${M[rh.encrypt]}" -v h="${M[rs.encrypt]}" 'BEGIN {
  printf "\nEncrypt 1 KiB, plain HTTP: software keystore %.0f/s, HSM keystore (SoftHSM2, PKCS#11) %.0f/s (%.0f%%)\n", s, h, 100 * h / s }'
AUDITED=$("$BIN" audit lookup-events --data-dir "$WORK/http" --max-results 100000000 | wc -l)
echo "audit records durable in the HTTP server's log: $AUDITED (one per request served)"
