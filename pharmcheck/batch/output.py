"""Finding rows held compactly: a million rows share a few hundred thousand distinct findings,
so each row is a patient and an index into the distinct rows' other columns."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

import numpy as np
import pandas as pd

OUT_COLUMNS = ("patient_id", "code", "name", "category", "severity", "drugs", "title", "message",
               "recommendation", "evidence")
_CHUNK = 200_000  # rows per piece of CSV text: bounds the memory the text takes


@dataclass(frozen=True)
class FindingRows:
    """Row ``i`` is ``(patient_ids[patient[i]], *items[item[i]])`` in the OUT columns."""

    patient_ids: list[str]
    patient: np.ndarray
    items: list[tuple[str, ...]]
    item: np.ndarray

    def __len__(self) -> int:
        return len(self.item)

    def frame(self) -> pd.DataFrame:
        ids = np.array(self.patient_ids, dtype=object)
        columns = {"patient_id": ids[self.patient] if len(ids) else np.array([], dtype=object)}
        for position, name in enumerate(OUT_COLUMNS[1:]):
            values = np.array([item[position] for item in self.items], dtype=object)
            columns[name] = values[self.item] if len(values) else np.array([], dtype=object)
        return pd.DataFrame(columns, columns=list(OUT_COLUMNS), dtype="string")

    def write_csv(self, handle: IO[str]) -> None:
        """The header and every row, as ``csv.writer`` would write them, in pieces."""
        for text in self.csv_pieces():
            handle.write(text)

    def csv_pieces(self) -> Iterator[str]:
        yield _line(OUT_COLUMNS)
        ids = np.array([_line((pid, ""))[:-2] for pid in self.patient_ids], dtype=object)  # 'id,\n' -> 'id'
        rest = np.empty(len(self.items), dtype=object)
        for i in np.unique(self.item).tolist():  # only the items some row shows
            rest[i] = _line(("", *self.items[i]))  # ',code,...\n'
        for start in range(0, len(self), _CHUNK):
            stop = min(start + _CHUNK, len(self))
            pieces = np.empty(2 * (stop - start), dtype=object)
            pieces[0::2] = ids[self.patient[start:stop]]
            pieces[1::2] = rest[self.item[start:stop]]
            yield "".join(pieces.tolist())


class _Capture:
    def write(self, text: str) -> None:
        self.text = text


_CAPTURE = _Capture()
_WRITER = csv.writer(_CAPTURE, lineterminator="\n")


def _line(values: tuple[str, ...]) -> str:
    _WRITER.writerow(values)
    return _CAPTURE.text
