"""Benchmark for the CDS Hooks service (issue 19). Prints its figures; it is not a test.

    python benchmarks/bench_cds.py [--requests 400] [--concurrency 1 8 32] [--no-auth]

Starts `pharmcheck serve` as its own process on a free loopback port (with a trusted-issuers
file and a test key made here, so every call carries a signed ES384 token, as in production)
and calls `order-sign` from this second process: patients of 20 medications (17 active, 3 draft
orders) with renal function, weight and conditions all prefetched, as FHIR resources. For each
number of concurrent clients it prints p50, p95 and p99 latency, throughput and errors, after
a warm-up; and the service's start-up time (process start to the first answer). Targets: p95
<= 100 ms at 8 clients, no errors at 32.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

DRUGS = [  # (name as the EHR shows it, mg per dose, doses a day)
    ("tramadol", 50, 4),
    ("sertraline", 100, 1),
    ("gabapentin", 600, 3),
    ("cefepime", 2000, 3),
    ("levetiracetam", 500, 2),
    ("amlodipine", 5, 1),
    ("metformin", 500, 2),
    ("lisinopril", 10, 1),
    ("clonazepam", 0.5, 2),
    ("lithium carbonate", 400, 1),
    ("morphine", 10, 6),
    ("pregabalin", 75, 2),
    ("ciprofloxacin", 500, 2),
    ("metoclopramide", 10, 3),
    ("quetiapine", 50, 2),
    ("baclofen", 10, 3),
    ("atorvastatin", 40, 1),
    ("omeprazole", 20, 1),
    ("furosemide", 40, 1),
    ("paracetamol", 1000, 4),
    ("amitriptyline", 25, 1),
    ("oxycodone", 5, 4),
    ("duloxetine", 60, 1),
    ("ondansetron", 4, 3),
    ("valproic acid", 500, 2),
    ("bisoprolol", 5, 1),
    ("ramipril", 5, 1),
    ("meropenem", 1000, 3),
    ("citalopram", 20, 1),
    ("mirtazapine", 15, 1),
    ("haloperidol", 2, 2),
    ("diazepam", 5, 2),
]
LOINC, UCUM = "http://loinc.org", "http://unitsofmeasure.org"


def order(rid: str, name: str, mg: float, per_day: int, status: str) -> dict[str, Any]:
    return {
        "resourceType": "MedicationRequest",
        "id": rid,
        "status": status,
        "intent": "order",
        "subject": {"reference": "Patient/p"},
        "medicationCodeableConcept": {"text": name},
        "dosageInstruction": [
            {
                "timing": {"repeat": {"frequency": per_day, "period": 1, "periodUnit": "d"}},
                "doseAndRate": [
                    {"doseQuantity": {"value": mg, "unit": "mg", "system": UCUM, "code": "mg"}}
                ],
            }
        ],
    }


def observation(rid: str, code: str, value: float, unit: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "subject": {"reference": "Patient/p"},
        "effectiveDateTime": "2026-11-30",
        "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit},
    }


def searchset(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": r} for r in resources],
    }


def patient_call(rng: random.Random, number: int) -> dict[str, Any]:
    """An order-sign call for a 20-medication patient: 17 active orders and 3 drafts."""
    chosen = rng.sample(DRUGS, 20)
    active = [order(f"a{i}", *chosen[i], status="active") for i in range(17)]
    drafts = [order(f"d{i}", *chosen[17 + i], status="draft") for i in range(3)]
    condition = {
        "resourceType": "Condition",
        "id": "c1",
        "subject": {"reference": "Patient/p"},
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": "active",
                }
            ]
        },
        "code": {"text": "epilepsy"},
    }
    return {
        "hook": "order-sign",
        "hookInstance": f"bench-{number}",
        "context": {
            "userId": "Practitioner/u1",
            "patientId": "p",
            "draftOrders": {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [{"resource": d} for d in drafts],
            },
        },
        "prefetch": {
            "patient": {
                "resourceType": "Patient",
                "id": "p",
                "birthDate": f"{rng.randint(1930, 2000)}-05-01",
                "gender": rng.choice(["female", "male"]),
            },
            "medicationRequests": searchset(active),
            "medicationStatements": None,
            "conditions": searchset([condition]),
            "renal": searchset([observation("o1", "35591-7", rng.randint(15, 120), "mL/min")]),
            "weight": searchset([observation("o2", "29463-7", rng.randint(45, 110), "kg")]),
            "pregnancy": None,
        },
    }


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of process ``pid`` and its children (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if entry.name == str(pid) or fields[1] == str(pid):  # fields[1]: the parent's pid
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_issuer(folder: Path) -> Any:
    from cryptography.hazmat.primitives.asymmetric import ec
    from jwt.algorithms import ECAlgorithm

    key = ec.generate_private_key(ec.SECP384R1())
    jwk = {**json.loads(ECAlgorithm.to_jwk(key.public_key())), "kid": "bench", "alg": "ES384"}
    (folder / "jwks.json").write_text(json.dumps({"keys": [jwk]}))
    (folder / "issuers.yaml").write_text(
        "issuers:\n  - iss: https://ehr.bench\n    jwks_file: jwks.json\n"
    )
    return key


def tokens(key: Any, aud: str, count: int) -> list[str]:
    import jwt

    now = int(time.time())
    return [
        jwt.encode(
            {
                "iss": "https://ehr.bench",
                "aud": aud,
                "iat": now,
                "exp": now + 3000,
                "jti": str(uuid.uuid4()),
            },
            key,
            algorithm="ES384",
            headers={"kid": "bench", "typ": "JWT"},
        )
        for _ in range(count)
    ]


async def run_level(
    url: str, bodies: list[bytes], auth: list[str] | None, clients: int
) -> dict[str, Any]:
    import httpx

    latencies: list[float] = []
    errors = 0
    queue = list(range(len(bodies)))
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:

        async def worker() -> None:
            nonlocal errors
            while queue:
                i = queue.pop()
                headers = {"content-type": "application/json"}
                if auth:
                    headers["authorization"] = f"Bearer {auth.pop()}"
                start = time.perf_counter()
                try:
                    answer = await client.post(url, content=bodies[i], headers=headers)
                    ok = answer.status_code == 200 and "cards" in answer.json()
                except httpx.HTTPError:
                    ok = False
                latencies.append(time.perf_counter() - start)
                errors += not ok

        begin = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        elapsed = time.perf_counter() - begin
    q = statistics.quantiles(latencies, n=100, method="inclusive")
    return {
        "clients": clients,
        "requests": len(latencies),
        "p50_ms": q[49] * 1000,
        "p95_ms": q[94] * 1000,
        "p99_ms": q[98] * 1000,
        "throughput": len(latencies) / elapsed,
        "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=400, help="calls per concurrency level")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--no-auth", action="store_true", help="run with --allow-unauthenticated")
    parser.add_argument("--db", help="KB URL (default: the embedded KB)")
    args = parser.parse_args()
    rng = random.Random(19)
    bodies = [json.dumps(patient_call(rng, n)).encode() for n in range(args.requests)]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    folder = Path(tempfile.mkdtemp(prefix="bench-cds-"))
    command = [shutil.which("pharmcheck") or "pharmcheck", "serve", "--port", str(port)]
    command += ["--db", args.db] if args.db else []
    key = None
    if args.no_auth:
        command.append("--allow-unauthenticated")
    else:
        key = make_issuer(folder)
        command += ["--trusted-issuers", str(folder / "issuers.yaml")]
    import httpx

    started = time.perf_counter()
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        warm = tokens(key, f"{base}/cds-services", 1) if key else [None]
        while True:
            if server.poll() is not None:
                sys.exit(
                    "the service exited: "
                    f"{server.stderr.read().decode()[-500:] if server.stderr else ''}"
                )
            try:
                headers = {"authorization": f"Bearer {warm[0]}"} if warm[0] else {}
                if httpx.get(f"{base}/cds-services", headers=headers, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.02)
        startup = time.perf_counter() - started
        url = f"{base}/cds-services/pharmcheck-order-sign"
        print(f"pharmcheck serve start-up (process start to first answer): {startup:.2f} s")
        print(
            f"order-sign, 20 medications per patient (17 active + 3 draft), "
            f"{'signed ES384 tokens' if key else 'unauthenticated'}, {os.cpu_count()} CPUs"
        )
        asyncio.run(
            run_level(url, bodies[:40], tokens(key, url, 40) if key else None, 4)
        )  # warm-up
        print(
            f"{'clients':>7} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
            f"{'req/s':>7} {'errors':>6} {'service CPU ms/call':>20}"
        )
        for clients in args.concurrency:
            auth = tokens(key, url, len(bodies)) if key else None
            cpu = cpu_seconds(server.pid)
            r = asyncio.run(run_level(url, bodies, auth, clients))
            per_call = (cpu_seconds(server.pid) - cpu) / r["requests"] * 1000
            print(
                f"{r['clients']:>7} {r['requests']:>8} {r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} "
                f"{r['p99_ms']:>8.1f} {r['throughput']:>7.1f} {r['errors']:>6} {per_call:>20.1f}"
            )
        print(
            f"load average after the run: {os.getloadavg()[0]:.1f} (other processes share the CPUs)"
        )
    finally:
        server.terminate()
        server.wait(10)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
