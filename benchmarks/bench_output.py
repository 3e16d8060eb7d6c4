"""Benchmark for the hand-written part of writing a screen's findings. Prints its figures; it is
not a test.

    python benchmarks/bench_output.py [--rows 1000000]

Screens the benchmark's ward (benchmarks/bench_screen.py makes it) once, then writes its finding
rows as CSV into a sink that keeps nothing, twice each way, and prints the CPU time of each way:
``FindingRows.write_csv`` (each distinct patient id, and each distinct value of the findings'
columns, written once by ``csv.writer``; each row the pieces joined) and a plain ``csv.writer``
over every row, with the same cells made safe for a spreadsheet and a cache of them. Also the
memory of the compact rows against the findings as a DataFrame.
"""

from __future__ import annotations

import argparse
import csv
import functools
import io
import sys
import time
from datetime import date
from pathlib import Path
from typing import IO


class Sink(io.RawIOBase):
    """Counts what is written and keeps none of it."""

    def __init__(self) -> None:
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.size += len(data)
        return len(data)


def plain_csv(rows: object, handle: IO[bytes]) -> None:
    """Every row through ``csv.writer``, a block of rows at a time."""
    from pharmcheck.batch.output import OUT_COLUMNS
    from pharmcheck.report.escape import spreadsheet_cell

    safe = functools.cache(spreadsheet_cell)
    text = io.TextIOWrapper(handle, encoding="utf-8", newline="", write_through=False)
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(OUT_COLUMNS)
    ids, items = rows.patient_ids, rows.items  # type: ignore[attr-defined]
    for p, i in zip(rows.patient.tolist(), rows.item.tolist(), strict=True):  # type: ignore[attr-defined]
        writer.writerow([safe(ids[p]), *map(safe, items[i])])
    text.flush()
    text.detach()


def cpu(what: str, write: object) -> None:
    seconds = []
    for _ in range(2):
        sink = Sink()
        start = time.process_time()
        write(sink)  # type: ignore[operator]
        seconds.append(time.process_time() - start)
    print(f"{what}: CPU {min(seconds):.2f} s (best of 2), {sink.size / 2**20:,.0f} MiB written")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/pharmcheck-bench"))
    args = parser.parse_args()
    folder = args.dir / str(args.rows)
    if not (folder / "meds.csv").exists():
        raise SystemExit(f"no ward in {folder}: run benchmarks/bench_screen.py --rows {args.rows}")
    from pharmcheck.batch import read_table
    from pharmcheck.batch.pool import screen_in_pool

    result = screen_in_pool(
        read_table(str(folder / "meds.csv")),
        read_table(str(folder / "patients.csv")),
        as_of=date(2026, 11, 25),
    )
    rows = result.rows
    print(f"{len(rows):,} finding rows holding {len(rows.items):,} distinct findings")
    cpu("FindingRows.write_csv (distinct values written once, joined)", rows.write_csv)
    cpu("csv.writer over every row", functools.partial(plain_csv, rows))
    from pharmcheck.batch.output import OUT_COLUMNS

    compact = (
        rows.patient.nbytes
        + rows.item.nbytes
        + sys.getsizeof(rows.items)
        + sum(
            sys.getsizeof(item) + sum(sys.getsizeof(cell) for cell in item) for item in rows.items
        )
    )  # a cell shared by several findings counted each time, as the DataFrame's figure counts it
    frame = rows.frame()
    print(
        f"compact rows: {compact / 2**20:,.0f} MiB; "
        f"as a DataFrame of {len(OUT_COLUMNS)} columns: "
        f"{frame.memory_usage(deep=True).sum() / 2**20:,.0f} MiB"
    )


if __name__ == "__main__":
    main()
