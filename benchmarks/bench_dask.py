"""Benchmark for the Dask screen (issue 22). Prints its figures; it is not a test.

    python benchmarks/bench_dask.py [--rows 1000000] [--partitions 4] [--repeat 3]

Generates (once, seeded) the synthetic ward of benchmarks/generate_ward.py as Parquet files, then
times `screen_dask(...)` written to Parquet (`to_parquet`) on a local cluster of 1, then 2 worker
processes (one thread each), the same graph with the same partitions for both: wall time, rows/s,
the workers' CPU time and the scaling ratio (target: at least 1.5x on 2 workers). Each cluster
first has every worker open the KB, as a long-lived cluster has; the timed run is the reading, the
shuffle by patient, the screen of every partition and the writing. With --repeat N the sizes
alternate N times (1, 2, 1, 2, ...), so each pair meets about the same load from other programs;
the load average is printed before each run. On a shared machine the wall-time ratio follows the
load: the workers' CPU time shows the work itself (2 workers doing more CPU work in all than 1 is
the parallel overhead). tests/test_dask.py checks that the rows equal the single-machine screen's.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
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
    parser.add_argument("--repeat", type=int, default=1, help="times to time every size")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/pharmcheck-bench-dask"))
    args = parser.parse_args()
    folder = args.dir / str(args.rows)
    meds, patients = folder / "meds", folder / "patients.parquet"
    if not meds.exists():
        write_ward(args.rows, meds, patients, args.partitions)
    sizes = [int(w) for w in args.workers.split(",")]
    walls: dict[int, list[float]] = {w: [] for w in sizes}
    cpus: dict[int, list[float]] = {w: [] for w in sizes}
    busiest: dict[int, list[float]] = {w: [] for w in sizes}
    for _ in range(args.repeat):
        for workers in sizes:
            out = folder / f"findings-{workers}"
            shutil.rmtree(out, ignore_errors=True)
            load = os.getloadavg()[0]
            wall, cpu, rows = timed(meds, patients, out, workers, args.partitions)
            walls[workers].append(wall)
            cpus[workers].append(sum(cpu))
            busiest[workers].append(max(cpu))
            print(
                f"{workers} worker(s): wall {wall:.1f} s, {args.rows / wall:,.0f} rows/s, "
                f"workers' CPU {' + '.join(f'{c:.1f}' for c in cpu)} s, "
                f"{rows:,} finding rows written (load average {load:.1f} before)",
                flush=True,
            )
    if 1 in walls and 2 in walls:
        ratios = [one / two for one, two in zip(walls[1], walls[2], strict=True)]
        overhead = [two / one for one, two in zip(cpus[1], cpus[2], strict=True)]
        bound = [one / two for one, two in zip(cpus[1], busiest[2], strict=True)]
        print(
            f"scaling 1 -> 2 workers: {statistics.median(ratios):.2f}x median, "
            f"{min(ratios):.2f}-{max(ratios):.2f}x over {len(ratios)} pair(s) (target >= 1.5x)\n"
            f"CPU time of 2 workers / 1 worker: {min(overhead):.2f}-{max(overhead):.2f}; "
            f"1 worker's CPU time / the busier of 2 workers' (the scaling with a free core per "
            f"worker, scheduler aside): {min(bound):.2f}-{max(bound):.2f}x"
        )


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
) -> tuple[float, list[float], int]:
    """Wall time, each worker's CPU time (user + system) and the finding rows written."""
    import pandas as pd
    from distributed import Client, LocalCluster

    from pharmcheck.batch.dask_screen import screen_dask
    from pharmcheck.batch.parts import shared_kb

    with (
        LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,
    ):
        client.run(open_kb_here, *shared_kb(None))  # on every worker, as a long-lived cluster
        before = client.run(time.process_time)
        start = time.perf_counter()
        screen_dask(str(meds), patients, as_of=AS_OF, partitions=partitions).to_parquet(
            out, write_index=False
        )
        wall = time.perf_counter() - start
        after = client.run(time.process_time)
        cpu = [after[worker] - before[worker] for worker in sorted(before)]
    rows = len(pd.read_parquet(out, columns=["code"]))
    return wall, cpu, rows


def open_kb_here(url: str, version: str) -> None:
    from pharmcheck.batch.parts import worker_checker

    worker_checker(url, version)


if __name__ == "__main__":
    main()
