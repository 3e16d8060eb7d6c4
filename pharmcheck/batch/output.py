"""Finding rows held compactly: a million rows share a few hundred thousand distinct findings,
so each row is a patient and an index into the distinct rows' other columns."""

from __future__ import annotations

import csv
import functools
import io
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any

import numpy as np
import pandas as pd

from pharmcheck.report.csvfmt import COLUMNS
from pharmcheck.report.escape import spreadsheet_cell

OUT_COLUMNS = COLUMNS  # as `check --format csv` writes them

_BLOCK_ROWS = 4096  # rows joined per write


@dataclass(frozen=True)
class FindingRows:
    """Row ``i`` is ``(patient_ids[patient[i]], *items[item[i]])`` in the OUT columns."""

    patient_ids: list[str]
    patient: np.ndarray
    items: list[tuple[str, ...]]
    item: np.ndarray

    def __len__(self) -> int:
        return len(self.item)

    def _columns(self) -> list[tuple[list[str], np.ndarray]]:
        """Each OUT column as (its values, each row's index into them)."""
        return [(self.patient_ids, self.patient)] + [
            ([item[i] for item in self.items], self.item) for i in range(len(OUT_COLUMNS) - 1)
        ]

    def frame(self) -> pd.DataFrame:
        columns = {
            name: np.array(values, dtype=object)[rows] if values else np.array([], dtype=object)
            for name, (values, rows) in zip(OUT_COLUMNS, self._columns(), strict=True)
        }
        return pd.DataFrame(columns, columns=list(OUT_COLUMNS), dtype="string")

    def to_arrow(self) -> Any:
        """A pyarrow Table with the OUT columns, dictionary-encoded: each row is an index into
        the distinct values, as held here (a million-row Parquet file without a million-row
        frame)."""
        import pyarrow as pa

        def encoded(values: list[str], rows: np.ndarray) -> Any:
            codes, distinct = pd.factorize(np.array(values, dtype=object))
            return pa.DictionaryArray.from_arrays(
                pa.array(codes[rows] if len(codes) else rows, pa.int32()),
                pa.array(list(distinct), pa.string()),
            )

        return pa.table(
            [encoded(values, rows) for values, rows in self._columns()], names=list(OUT_COLUMNS)
        )

    def write_csv(self, handle: IO[bytes]) -> None:
        """The header and every row in UTF-8 as ``csv.writer`` writes them, each cell made safe
        for a spreadsheet (:func:`~pharmcheck.report.escape.spreadsheet_cell`). ``csv.writer``
        writes each distinct patient id and finding once and each row joins the two: a million
        rows share a few hundred thousand findings (docs/performance.md has the figure)."""
        safe = functools.cache(spreadsheet_cell)  # most cells repeat: a code, a title, a level
        ids = [
            line if pid else b""
            for pid, line in zip(
                self.patient_ids,
                _csv_lines([(pid,) for pid in self.patient_ids], safe),
                strict=True,
            )
        ]
        items = [  # a block at a time: the text of every finding is never whole twice
            b"," + line + b"\n"
            for start in range(0, len(self.items), _BLOCK_ROWS)
            for line in _csv_lines(self.items[start : start + _BLOCK_ROWS], safe)
        ]
        handle.write(_csv_lines([OUT_COLUMNS], safe)[0] + b"\n")
        for start in range(0, len(self), _BLOCK_ROWS):
            rows = slice(start, start + _BLOCK_ROWS)
            pieces: list[bytes] = [b""] * (2 * len(self.item[rows]))
            pieces[0::2] = [ids[p] for p in self.patient[rows].tolist()]
            pieces[1::2] = [items[i] for i in self.item[rows].tolist()]
            handle.write(b"".join(pieces))

    def write_jsonl(self, handle: IO[bytes]) -> None:
        """One JSON object per line in UTF-8, keys in the OUT columns' order."""
        with _text(handle) as text:
            for record in self._records():
                text.write(record + "\n")

    def write_json(self, handle: IO[bytes]) -> None:
        """One JSON array of objects in UTF-8, one object a line."""
        with _text(handle) as text:
            text.write("[")
            for row, record in enumerate(self._records()):
                text.write(("," if row else "") + "\n" + record)
            text.write("\n]\n" if len(self) else "]\n")

    def _records(self) -> Iterator[str]:
        for p, i in zip(self.patient.tolist(), self.item.tolist(), strict=True):
            record = dict(zip(OUT_COLUMNS, (self.patient_ids[p], *self.items[i]), strict=True))
            yield json.dumps(record, ensure_ascii=False)


@contextmanager
def _text(handle: IO[bytes]) -> Iterator[io.TextIOWrapper]:
    """A UTF-8 text layer over ``handle``, flushed and taken off it again (the caller closes it)."""
    text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
    try:
        yield text
    finally:
        text.flush()
        text.detach()


def _csv_lines(rows: list[tuple[str, ...]], safe: Callable[[str], str]) -> list[bytes]:
    """Each row as ``csv.writer`` writes it, each cell made ``safe``, in UTF-8, without its line
    end (a cell made safe for a spreadsheet holds no line break, so the writer's output splits
    into rows at each one)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([safe(cell) for cell in row] for row in rows)
    return [line.encode() for line in out.getvalue().split("\n")[:-1]]
