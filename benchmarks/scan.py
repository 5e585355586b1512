"""Benchmark `scan` against the HTTPS fake with ARM-like latency and throttling.

    .venv/bin/python benchmarks/scan.py                          # 10,000 apps in 50 subscriptions
    .venv/bin/python benchmarks/scan.py --concurrency 16 64 128  # compare settings
    .venv/bin/python benchmarks/scan.py --apps 2000 --subscriptions 5 --arg-quota 15/5

The fake (tests/fake_azure.py) runs in its own process, so the scanner and the server do not share
one interpreter lock, and serves a synthetic tenant generated in that process (fake_azure's own
generator: the benchmark does not depend on planner.sample.synthetic). Every request waits `--latency`
(20 ms); ARM reads are throttled per subscription by a token bucket of 250 calls refilled at 25
per second (ARM's documented read limits), answering 429 with Retry-After in whole seconds.

The throttling bound is the least time any client could need for the ARM phase: a subscription
with n calls cannot finish before (n - 250) / 25 seconds. `bound / ARM phase` is the share of that
ideal the scan reaches (1.0 = as fast as throttling allows). The latency bound, calls x latency /
concurrency, is printed too: with few subscriptions the bucket limits, with many the latency does.
"""

from __future__ import annotations

import argparse
import multiprocessing
import multiprocessing.connection
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from fake_azure import ARG_PATH, FakeAzure, Tenant, synthetic_tenant  # noqa: E402

from planner.collect.auth import Connection  # noqa: E402
from planner.collect.scan import NullObserver, ScanOptions, run_scan  # noqa: E402

BURST, REFILL = 250, 25.0


def serve(pipe: multiprocessing.connection.Connection, options: dict[str, Any]) -> None:
    """Child process: build the tenant, run the fake until told to stop, then report its counts."""
    tenant = Tenant.from_resources(synthetic_tenant(options["subscriptions"], options["apps"]))
    with FakeAzure(tenant, cert_dir=Path(options["cert_dir"]), latency=options["latency"]) as fake:
        fake.arm_throttle = options.get("arm_throttle", (BURST, REFILL))
        fake.arg_quota = options["arg_quota"]
        pipe.send(fake.env())
        while pipe.recv() != "stop":
            pass
        arm = [r for r in fake.stats.requests if r.path != ARG_PATH]
        pipe.send(
            {
                "arg": fake.stats.count(kind="arg"),
                "arm": len(arm),
                "throttled": fake.stats.throttled,
                "max_in_flight": fake.stats.max_in_flight,
                "connections": fake.stats.connections,
                "arm_ok_per_subscription": Counter(r.subscriptions[0] for r in arm if r.status != 429),
            }
        )


class PhaseClock(NullObserver):
    """Notes when each scan phase starts."""

    def __init__(self) -> None:
        self.started: dict[str, float] = {}

    def phase(self, name: str, total: int | None) -> None:
        self.started[name] = time.monotonic()


def run_once(args: argparse.Namespace, concurrency: int, workdir: Path) -> dict[str, Any]:
    """One scan against a fresh fake (fresh token buckets); returns the figures."""
    parent, child = multiprocessing.Pipe()
    quota = tuple(int(x) for x in args.arg_quota.split("/")) if args.arg_quota else None
    process = multiprocessing.Process(
        target=serve,
        args=(
            child,
            {
                "subscriptions": args.subscriptions,
                "apps": args.apps,
                "latency": args.latency,
                "arg_quota": quota,
                "cert_dir": str(workdir / "cert"),
            },
        ),
    )
    process.start()
    env = parent.recv()
    out = workdir / f"inventory-{concurrency}"
    clock = PhaseClock()
    started = time.monotonic()
    result = run_scan(
        ScanOptions(out=out, concurrency=concurrency, batch_size=300),
        connection=Connection.from_env(env=env),
        observer=clock,
    )
    finished = time.monotonic()
    parent.send("stop")
    served = parent.recv()
    process.join()
    manifest = result.manifest
    assert not result.partial, result.reasons
    fetched = sum(len(v["fetched"]) for v in manifest["arm"].values())
    assert fetched == sum(served["arm_ok_per_subscription"].values()), "a call was lost"
    arm_started = clock.started["arm"]
    throttle_bound = max(max(0, n - BURST) / REFILL for n in served["arm_ok_per_subscription"].values())
    return {
        "concurrency": concurrency,
        "wall": finished - started,
        "arg_phase": arm_started - started,
        "arm_phase": finished - arm_started,
        "arg_calls": served["arg"],
        "arm_calls": fetched,
        "throttled": served["throttled"],
        "max_in_flight": served["max_in_flight"],
        "connections": served["connections"],
        "throttle_bound": throttle_bound,
        "latency_bound": fetched * args.latency / concurrency,
        "apps": manifest["queries"]["sites"]["rows"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--apps", type=int, default=10_000)
    parser.add_argument("--subscriptions", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.020, help="seconds per call (default 0.020)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--arg-quota", default="", help="Resource Graph quota as QUERIES/SECONDS, e.g. 15/5")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="vnet-planner-scan-bench-"))
    try:
        print(
            f"synthetic tenant: {args.apps} apps in {args.subscriptions} subscriptions; "
            f"{args.latency * 1000:.0f} ms per call; ARM token bucket {BURST} + {REFILL:g}/s per subscription"
            + (f"; Resource Graph quota {args.arg_quota}" if args.arg_quota else "")
        )
        header = (
            f"{'conc':>5} {'wall s':>7} {'ARG s':>6} {'ARM s':>6} {'ARG':>4} {'ARM calls':>9} {'429s':>5} "
            f"{'in flight':>9} {'ARM calls/s':>11} {'bucket bound s':>14} {'bound/ARM':>9} {'latency bound s':>15}"
        )
        print(header)
        for concurrency in args.concurrency:
            r = run_once(args, concurrency, workdir)
            print(
                f"{r['concurrency']:>5} {r['wall']:>7.1f} {r['arg_phase']:>6.1f} {r['arm_phase']:>6.1f} "
                f"{r['arg_calls']:>4} {r['arm_calls']:>9} {r['throttled']:>5} {r['max_in_flight']:>9} "
                f"{r['arm_calls'] / r['arm_phase']:>11.0f} {r['throttle_bound']:>14.1f} "
                f"{r['throttle_bound'] / r['arm_phase']:>9.2f} {r['latency_bound']:>15.1f}"
            )
        print(f"(apps and slots read: {r['apps']})")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
