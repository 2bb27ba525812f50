"""Client CPU per authenticated request of Kalshi's official Python SDK (kalshi_python_sync), against the
same separate-process simulator as the Swift client. Prints `python <kind> n=… cpu_per_request_us=… wall_p50_us=…`.

    python official_sdk_cpu.py BASE_URL KEY_ID PRIVATE_KEY_PEM_FILE [REQUESTS]
"""
import sys
import time

from kalshi_python_sync import Configuration, KalshiClient


def measure(kind, count, body):
    for index in range(min(200, count)):
        body(-1 - index)
    walls = []
    cpu_before = time.process_time_ns()
    for index in range(count):
        start = time.perf_counter_ns()
        body(index)
        walls.append(time.perf_counter_ns() - start)
    cpu = time.process_time_ns() - cpu_before
    walls.sort()
    print(f"python {kind} n={count} cpu_per_request_us={cpu // count // 1000} wall_p50_us={walls[len(walls) // 2] // 1000} "
          f"wall_p99_us={walls[min(len(walls) - 1, len(walls) * 99 // 100)] // 1000}", flush=True)


def main():
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    base_url, key_id, pem_file = sys.argv[1:4]
    requests = int(sys.argv[4]) if len(sys.argv) > 4 else 2000
    configuration = Configuration(host=base_url)
    configuration.api_key_id = key_id
    with open(pem_file) as handle:
        configuration.private_key_pem = handle.read()
    client = KalshiClient(configuration)
    measure("get_balance", requests, lambda _: client.get_balance())


if __name__ == "__main__":
    main()
