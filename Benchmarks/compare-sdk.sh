#!/usr/bin/env bash
# Client CPU per authenticated request: this project's Swift client and Kalshi's official Python SDK
# (kalshi_python_sync 3.2.0, installed into a throwaway virtual environment), one after the other against
# the same simulator running in its own process (rate limits and synthetic activity off). Prints both
# figures and the ratio, and beside them a minimal C client's (Benchmarks/sdk/minimal_client.c: the
# signature and the system calls alone, what no client avoids). Usage: Benchmarks/compare-sdk.sh [REQUESTS]
# (default 2000)
set -euo pipefail
cd "$(dirname "$0")/.."
requests="${1:-2000}"
port="${SDK_COMPARE_PORT:-18120}"
work="$(mktemp -d)"
trap 'kill "${sim:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

# The test key of ../shared/vectors (a key belonging to no account), from the copy in the fixtures.
python3 - "$work" <<'PY'
import json, sys
vectors = json.load(open("Sources/ExecutorTesting/Fixtures/kalshi-auth-vectors.json"))
open(sys.argv[1] + "/key.pem", "w").write(vectors["private_key_pkcs1_pem"])
open(sys.argv[1] + "/pub.pem", "w").write(vectors["public_key_pem"])
open(sys.argv[1] + "/key_id", "w").write(vectors["key_id"])
PY
key_id="$(cat "$work/key_id")"

venv=Benchmarks/.build/sdk-venv
if ! "$venv/bin/python" -c "import kalshi_python_sync" 2>/dev/null; then
  echo "installing kalshi_python_sync 3.2.0 into $venv (official SDK, benchmark only)"
  python3 -m venv "$venv" && "$venv/bin/pip" install --quiet kalshi_python_sync==3.2.0
fi

swift build -c release --product run-executor >/dev/null
(cd Benchmarks && swift build -c release --product ClientCPU >/dev/null)
cc -O2 -o Benchmarks/.build/minimal_client Benchmarks/sdk/minimal_client.c -lcrypto
.build/release/run-executor sim --port "$port" --no-rate-limits --activity-ms 0 --key-id "$key_id" --public-key "$work/pub.pem" >"$work/sim.log" 2>&1 &
sim=$!
url="http://127.0.0.1:$port/trade-api/v2"
for _ in $(seq 1 100); do curl -s -o /dev/null "$url/exchange/status" && break; sleep 0.1; done

swift_out="$(Benchmarks/.build/release/ClientCPU "$url" "$key_id" "$work/key.pem" "$requests")"
python_out="$("$venv/bin/python" Benchmarks/sdk/official_sdk_cpu.py "$url" "$key_id" "$work/key.pem" "$requests")"
c_out="$(Benchmarks/.build/minimal_client "$url" "$key_id" "$work/key.pem" "$requests")"
echo "$swift_out"
echo "$python_out"
echo "$c_out"
cpu() { sed -n "s/.*$1 n=[0-9]* cpu_per_request_us=\([0-9]*\).*/\1/p" <<<"$2" | head -1; }
ours="$(cpu get_balance "$swift_out")"; theirs="$(cpu get_balance "$python_out")"; floor="$(cpu rsa_sign_only "$swift_out")"
minimal="$(cpu get_balance "$c_out")"
python3 -c "import sys; o, t, f, m = map(int, sys.argv[1:]); print(f'GET balance, client CPU per request: swift {o} µs ({o / f:.2f}x the RSA floor of {f} µs), official SDK {t} µs; the SDK uses {t / o:.2f}x the CPU. A minimal C client (signature + system calls): {m} µs ({m / f:.2f}x the floor; the SDK uses {t / m:.2f}x its CPU)')" "$ours" "$theirs" "$floor" "$minimal"
