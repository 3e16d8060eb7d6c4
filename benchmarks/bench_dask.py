"""Benchmark for the Dask screen (issue 22). Prints its figures; it is not a test.

    python benchmarks/bench_dask.py [--rows 1000000] [--partitions 4]

Generates (once, seeded) the synthetic ward of benchmarks/generate_ward.py as Parquet files, then
times `screen_dask(...)` written to Parquet (`to_parquet`) on a local cluster of 1, then 2 worker
processes (one thread each): wall time, rows/s and the scaling ratio (target: at least 1.5x on 2
workers). Each cluster first has every worker open the KB, as a
long-lived cluster has; the timed run is the reading, the shuffle by patient, the screen of every
partition and the writing. tests/test_dask.py checks that the rows equal the single-machine
screen's.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

AS_OF = date(2026, 11, 25)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--workers", default="1,2", help="cluster sizes to time, in order")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/pharmcheck-bench-dask"))
    args = parser.parse_args()
    folder = args.dir / str(args.rows)
    meds, patients = folder / "meds", folder / "patients.parquet"
    if not meds.exists():
        write_ward(args.rows, meds, patients, args.partitions)
    walls: dict[int, float] = {}
    for workers in [int(w) for w in args.workers.split(",")]:
        out = folder / f"findings-{workers}"
        shutil.rmtree(out, ignore_errors=True)
        wall, rows = timed(meds, patients, out, workers, args.partitions)
        walls[workers] = wall
        print(
            f"{workers} worker(s): wall {wall:.1f} s, {args.rows / wall:,.0f} rows/s, "
            f"{rows:,} finding rows written",
            flush=True,
        )
    if 1 in walls and 2 in walls:
        print(f"scaling 1 -> 2 workers: {walls[1] / walls[2]:.2f}x (target >= 1.5x)")


def write_ward(rows: int, meds: Path, patients: Path, partitions: int) -> None:
    from generate_ward import generate

    frame, people = generate(rows)
    meds.mkdir(parents=True)
    size = -(-len(frame) // partitions)
    for part in range(partitions):  # one file per partition, rows in their order
        frame.iloc[part * size : (part + 1) * size].to_parquet(meds / f"part-{part:03d}.parquet")
    people.to_parquet(patients)


def timed(
    meds: Path, patients: Path, out: Path, workers: int, partitions: int
) -> tuple[float, int]:
    import pandas as pd
    from distributed import Client, LocalCluster

    from pharmcheck.batch.dask_screen import screen_dask
    from pharmcheck.batch.parts import shared_kb

    with (
        LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        client.run(open_kb_here, *shared_kb(None))  # on every worker, as a long-lived cluster
        start = time.perf_counter()
        screen_dask(str(meds), patients, as_of=AS_OF, partitions=partitions).to_parquet(
            out, write_index=False
        )
        wall = time.perf_counter() - start
    rows = len(pd.read_parquet(out, columns=["code"]))
    return wall, rows


def open_kb_here(url: str, version: str) -> None:
    from pharmcheck.batch.parts import worker_checker

    worker_checker(url, version)


if __name__ == "__main__":
    main()
