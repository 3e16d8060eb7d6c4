"""Finding rows held compactly: a million rows share a few hundred thousand distinct findings,
so each row is a patient and an index into the distinct rows' other columns."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any

import numpy as np
import pandas as pd

from pharmcheck.report.escape import spreadsheet_cell

OUT_COLUMNS = (
    "patient_id",
    "code",
    "name",
    "category",
    "severity",
    "drugs",
    "title",
    "message",
    "recommendation",
    "evidence",
    "references",
    "kb_version",
)

REFERENCE_SEPARATOR = " | "  # between a finding's references in its one cell


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
        the distinct values, as held here (a million-row Parquet file without a million-row frame)."""
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
        """The header and every row in UTF-8 by ``csv.writer``, each cell made safe for a
        spreadsheet (:func:`~pharmcheck.report.escape.spreadsheet_cell`)."""
        ids = [spreadsheet_cell(pid) for pid in self.patient_ids]
        items = [tuple(map(spreadsheet_cell, item)) for item in self.items]
        with _text(handle) as text:
            writer = csv.writer(text, lineterminator="\n")
            writer.writerow(OUT_COLUMNS)
            writer.writerows(
                (ids[p], *items[i])
                for p, i in zip(self.patient.tolist(), self.item.tolist(), strict=True)
            )

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
    text = io.TextIOWrapper(handle, encoding="utf-8", newline="")  # type: ignore[type-var]
    try:
        yield text
    finally:
        text.flush()
        text.detach()
