"""A small closed-loop HTTP/1.1 load generator: N keep-alive connections, one request in flight each.

Raw asyncio streams (uvloop when installed) rather than an HTTP client library, so the
client spends as little of the machine's CPU as possible. Only 127.0.0.1/localhost/::1 are
accepted as targets. Prints one JSON object: requests/s, latency percentiles, status counts.

Run: ``python -m bench.loadgen --port 8000 --path /x --concurrency 32 --duration 10``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter

__all__ = ["main", "percentile"]

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (q in 0..100)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), round(q / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    lower = head.lower()
    at = lower.find(b"\r\ncontent-length:")
    if at >= 0:
        end = lower.find(b"\r\n", at + 2)
        length = int(lower[at + 17:end])
        if length:
            await reader.readexactly(length)
    elif b"transfer-encoding: chunked" in lower:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status


async def _worker(host: str, port: int, request: bytes, measure_from: float, stop_at: float,
                  latencies: list[float], statuses: Counter[int], errors: list[str]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while True:
            started = time.perf_counter()
            if started >= stop_at:
                return
            writer.write(request)
            try:
                status = await _read_response(reader)
            except (asyncio.IncompleteReadError, ConnectionError) as exc:
                errors.append(type(exc).__name__)
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
                continue
            done = time.perf_counter()
            if started >= measure_from and done <= stop_at:
                latencies.append(done - started)
                statuses[status] += 1
    finally:
        writer.close()


async def run(host: str, port: int, path: str, headers: list[str], concurrency: int,
              warmup: float, duration: float) -> dict[str, object]:
    if host not in _LOOPBACK:
        raise SystemExit(f"refusing to load {host}: benchmarks target this machine only")
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Accept: application/json",
             *headers]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    errors: list[str] = []
    now = time.perf_counter()
    measure_from, stop_at = now + warmup, now + warmup + duration
    await asyncio.wait_for(
        asyncio.gather(*(_worker(host, port, request, measure_from, stop_at, latencies,
                                 statuses, errors) for _ in range(concurrency))),
        timeout=warmup + duration + 30,  # bounded even if the server hangs
    )
    latencies.sort()
    return {
        "requests": len(latencies),
        "rps": len(latencies) / duration,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p90_ms": percentile(latencies, 90) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "max_ms": (latencies[-1] * 1000) if latencies else float("nan"),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "connection_errors": len(errors),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.loadgen", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--header", action="append", default=[], help="'Name: value'")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--duration", type=float, default=10.0)
    args = parser.parse_args(argv)
    if not (0 < args.duration <= 120 and 0 <= args.warmup <= 60 and 0 < args.concurrency <= 512):
        parser.error("keep runs bounded: duration ≤ 120 s, warm-up ≤ 60 s, concurrency ≤ 512")
    try:
        from uvloop import run as run_loop
    except ImportError:
        run_loop = asyncio.run
    result = run_loop(run(args.host, args.port, args.path, args.header, args.concurrency,
                             args.warmup, args.duration))
    json.dump(result, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
