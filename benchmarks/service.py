"""The service's speed under load (a script, never a test): requests per second and latency.

    .venv/bin/python benchmarks/service.py                 # 2 workers, 1 and 20 clients
    .venv/bin/python benchmarks/service.py --requests 400 --workers 1

Starts `reasoner serve` on 127.0.0.1 on a free port, waits for /health, then for each endpoint
(`POST /decide` and a CRD `order-sign` hook) and each number of concurrent clients sends a
bounded number of requests (and stops after --seconds at most), and prints requests per
second with the p50 and p99 latency. Only loopback traffic; the server is stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.corpus import corpus  # noqa: E402

HOOK_ID = "pump-coverage-order-sign"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def hook_request(index: int) -> dict[str, Any]:
    """An order-sign hook: an insulin pump for a member with type 1 diabetes (one of a few variants)."""
    code, drug, diagnosis = [("E0784", "insulin", "E10.9"), ("E0781", "heparin", "I82.401"),
                             ("K0455", "epoprostenol", "I27.0")][index % 3]
    order = {
        "resourceType": "DeviceRequest", "id": f"dr-{index % 3}", "status": "draft", "intent": "order",
        "codeCodeableConcept": {"coding": [{"system": "https://bluebutton.cms.gov/resources/codesystem/hcpcs",
                                            "code": code}]},
        "subject": {"reference": "Patient/p1"}, "authoredOn": "2020-07-01",
        "reasonCode": [{"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": diagnosis}]}],
    }
    medication = {
        "resourceType": "MedicationRequest", "id": f"mr-{index % 3}", "status": "draft", "intent": "order",
        "medicationCodeableConcept": {"text": drug}, "subject": {"reference": "Patient/p1"},
    }
    return {
        "hookInstance": f"00000000-0000-0000-0000-{index:012d}", "hook": "order-sign",
        "context": {"userId": "Practitioner/1", "patientId": "p1",
                    "draftOrders": {"resourceType": "Bundle", "type": "collection",
                                    "entry": [{"resource": order}, {"resource": medication}]}},
        "prefetch": {},
    }


async def load(url: str, bodies: list[Any], clients: int, seconds: float) -> tuple[list[float], int]:
    """Send the bodies from `clients` concurrent clients; latencies of the answered ones, failures."""
    queue: asyncio.Queue[Any] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    latencies: list[float] = []
    failures = 0
    deadline = time.perf_counter() + seconds

    async def client(session: httpx.AsyncClient) -> None:
        nonlocal failures
        while not queue.empty() and time.perf_counter() < deadline:
            body = queue.get_nowait()
            started = time.perf_counter()
            response = await session.post(url, content=json.dumps(body), headers={"content-type": "application/json"})
            latencies.append(time.perf_counter() - started)
            failures += response.status_code != 200

    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(timeout=60, limits=limits) as session:
        await asyncio.gather(*(client(session) for _ in range(clients)))
    return latencies, failures


def figure(name: str, clients: int, latencies: list[float], failures: int, seconds: float) -> str:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return (f"{name:<8} {clients:>3} clients  {len(latencies) / seconds:8,.0f} requests/s  "
            f"p50 {statistics.median(ordered) * 1000:6.1f} ms  p99 {p99 * 1000:6.1f} ms  "
            f"({len(latencies)} requests, {failures} failed)")


def start_server(port: int, workers: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [sys.executable, "-m", "reasoner", "serve", "--port", str(port), "--workers", str(workers)],
        cwd=ROOT, start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    os.killpg(server.pid, signal.SIGTERM)
    raise SystemExit("the server did not start within 60 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--requests", type=int, default=600, help="requests per measurement")
    parser.add_argument("--seconds", type=float, default=60, help="at most this long per measurement")
    args = parser.parse_args()
    port = free_port()
    server = start_server(port, args.workers)
    base = f"http://127.0.0.1:{port}"
    cases = list(corpus(args.requests))
    hooks = [hook_request(i) for i in range(args.requests)]
    print(f"reasoner serve, {args.workers} worker(s), on this machine ({os.cpu_count()} cores)")
    try:
        for name, url, bodies in (("/decide", f"{base}/decide", cases),
                                  ("hook", f"{base}/cds-services/{HOOK_ID}", hooks)):
            asyncio.run(load(url, bodies[:40], 4, args.seconds))  # warm every worker up
            for clients in (1, 20):
                started = time.perf_counter()
                latencies, failures = asyncio.run(load(url, bodies, clients, args.seconds))
                print(figure(name, clients, latencies, failures, time.perf_counter() - started))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
