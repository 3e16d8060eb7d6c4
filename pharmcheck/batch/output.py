"""Finding rows held compactly: a million rows share a few hundred thousand distinct findings,
so each row is a patient and an index into the distinct rows' other columns."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from operator import itemgetter
from typing import IO, Any

import numpy as np
import pandas as pd

from pharmcheck.report.csvfmt import COLUMNS
from pharmcheck.report.escape import spreadsheet_cell

OUT_COLUMNS = COLUMNS  # as `check --format csv` writes them

_BLOCK_ROWS = 4096  # rows joined per write
# The columns after patient_id in runs written as one: those a rule words itself (few distinct
# runs) apart from the drugs, the title and the message, which most findings word their own.
_RUNS = (slice(0, 4), slice(4, 5), slice(5, 6), slice(6, 7), slice(7, None))


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
        writes each distinct patient id once, and each distinct value of a finding's columns once
        (a run of the rule's own columns as one): a million rows share a few hundred thousand
        findings, and those share their wording (docs/performance.md has the figures)."""
        ids = _encoded([(pid,) for pid in self.patient_ids], end=b",")
        runs = [_encoded(list(map(itemgetter(run), self.items))) for run in _RUNS[:-1]]
        runs.append(_encoded(list(map(itemgetter(_RUNS[-1]), self.items)), end=b"\n"))
        items = list(map(b",".join, zip(*runs, strict=True)))
        handle.write(_encoded([OUT_COLUMNS], end=b"\n")[0])
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


def _encoded(rows: list[tuple[str, ...]], end: bytes = b"") -> list[bytes]:
    """Each row as ``csv.writer`` writes it, each cell made safe for a spreadsheet, in UTF-8, with
    ``end`` for its line end; each distinct row written once."""
    index: dict[tuple[str, ...], int] = {}
    codes = [index.setdefault(row, len(index)) for row in rows]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(
        [spreadsheet_cell(cell) for cell in row] for row in index
    )
    # A cell made safe holds no line break, so the writer's output splits into rows at each one;
    # a row of one empty cell, which the writer writes as "", is the empty cell of a longer row.
    lines = [
        (line if row != ("",) else b"") + end
        for row, line in zip(index, out.getvalue().encode().split(b"\n")[:-1], strict=True)
    ]
    return [lines[c] for c in codes]
