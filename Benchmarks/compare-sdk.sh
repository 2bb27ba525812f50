#!/usr/bin/env bash
# Client CPU per authenticated request: this project's Swift client and Kalshi's official Python SDK
# (kalshi_python_sync 3.2.0, installed into a throwaway virtual environment), one after the other against
# the same simulator running in its own process (rate limits and synthetic activity off). Prints both
# figures and the ratio, and beside them a minimal C client's (Benchmarks/sdk/minimal_client.c: the
# signature and the system calls alone, what no client avoids). Usage: Benchmarks/compare-sdk.sh [REQUESTS]
# (default 2000, split over SDK_COMPARE_ROUNDS rounds, 5 by default)
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

# Rounds, each client in turn, the order reversed every other round: this VM's speed drifts by up to 2× within
# a minute, so clients measured one after the other for the whole run can land in different phases. Each round
# gives a ratio of clients measured seconds apart; the summary takes the medians.
rounds="${SDK_COMPARE_ROUNDS:-5}"
per=$(( (requests + rounds - 1) / rounds ))
results="$work/rounds.txt"
: >"$results"
swift_client() { Benchmarks/.build/release/ClientCPU "$url" "$key_id" "$work/key.pem" "$per" rsa_sign_only,get_balance,create_order_v2; }
python_client() { "$venv/bin/python" Benchmarks/sdk/official_sdk_cpu.py "$url" "$key_id" "$work/key.pem" "$per"; }
c_client() { Benchmarks/.build/minimal_client "$url" "$key_id" "$work/key.pem" "$per"; }
for round in $(seq 1 "$rounds"); do
  order="swift_client python_client c_client"
  if (( round % 2 == 0 )); then order="c_client python_client swift_client"; fi
  for client in $order; do "$client" | sed "s/^/round=$round /" | tee -a "$results"; done
done
python3 - "$results" "$rounds" "$per" <<'PY'
import re, statistics, sys
path, rounds, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
cpu = {}
for line in open(path):
    m = re.match(r"round=(\d+) (\w+) (\w+) n=\d+ cpu_per_request_us=(\d+)", line)
    if m: cpu[(int(m[1]), m[2], m[3])] = int(m[4])
def series(client, kind): return [cpu[(r, client, kind)] for r in range(1, rounds + 1) if (r, client, kind) in cpu]
def med(xs): return statistics.median(xs) if xs else float("nan")
def span(xs): return f"{min(xs):.2f}–{max(xs):.2f}" if xs else "n/a"
ours, theirs, floor, minimal = series("swift", "get_balance"), series("python", "get_balance"), series("swift", "rsa_sign_only"), series("c_minimal", "get_balance")
over_floor = [o / f for o, f in zip(ours, floor)]
sdk_over_ours = [t / o for t, o in zip(theirs, ours)]
sdk_over_c = [t / m for t, m in zip(theirs, minimal)]
print(f"{rounds} rounds of {per} requests per client (medians; per-round ratios' median and range):")
print(f"GET balance, client CPU per request: swift {med(ours):.0f} µs ({med(over_floor):.2f}x the RSA floor of {med(floor):.0f} µs; rounds {span(over_floor)}), "
      f"official SDK {med(theirs):.0f} µs; the SDK uses {med(sdk_over_ours):.2f}x the CPU (rounds {span(sdk_over_ours)}). "
      f"A minimal C client (signature + system calls): {med(minimal):.0f} µs (the SDK uses {med(sdk_over_c):.2f}x its CPU; rounds {span(sdk_over_c)})")
PY
