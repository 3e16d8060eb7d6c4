"""Finding rows held compactly: a million rows share a few hundred thousand distinct findings,
so each row is a patient and an index into the distinct rows' other columns."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

import numpy as np
import pandas as pd

OUT_COLUMNS = ("patient_id", "code", "name", "category", "severity", "drugs", "title", "message",
               "recommendation", "evidence")
_CHUNK = 200_000  # rows per list of pieces


@dataclass(frozen=True)
class FindingRows:
    """Row ``i`` is ``(patient_ids[patient[i]], *items[item[i]])`` in the OUT columns."""

    patient_ids: list[str]
    patient: np.ndarray
    items: list[tuple[str, ...]]
    item: np.ndarray
    lines: list[str | None] | None = None  # items already written as CSV text (None: not yet)

    def __len__(self) -> int:
        return len(self.item)

    def _columns(self) -> list[tuple[list[str], np.ndarray]]:
        """Each OUT column as (its values, each row's index into them)."""
        return [(self.patient_ids, self.patient)] + [([item[i] for item in self.items], self.item)
                                                     for i in range(len(OUT_COLUMNS) - 1)]

    def frame(self) -> pd.DataFrame:
        columns = {name: np.array(values, dtype=object)[rows] if values else np.array([], dtype=object)
                   for name, (values, rows) in zip(OUT_COLUMNS, self._columns(), strict=True)}
        return pd.DataFrame(columns, columns=list(OUT_COLUMNS), dtype="string")

    def to_arrow(self) -> Any:
        """A pyarrow Table with the OUT columns, dictionary-encoded: each row is an index into
        the distinct values, as held here (a million-row Parquet file without a million-row frame)."""
        import pyarrow as pa

        def encoded(values: list[str], rows: np.ndarray) -> Any:
            codes, distinct = pd.factorize(np.array(values, dtype=object))
            return pa.DictionaryArray.from_arrays(pa.array(codes[rows] if len(codes) else rows, pa.int32()),
                                                  pa.array(list(distinct), pa.string()))

        return pa.table([encoded(values, rows) for values, rows in self._columns()], names=list(OUT_COLUMNS))

    def write_csv(self, handle: IO[str]) -> None:
        """The header and every row, byte for byte what ``csv.writer`` writes. Pieces go to the
        handle's buffer one by one: joining 600 MB of text first costs more in page faults."""
        for pieces in self.csv_pieces():
            handle.writelines(pieces)

    def csv_pieces(self) -> Iterator[list[str]]:
        """The CSV text in lists of pieces, a bounded number of rows at a time."""
        yield [csv_line(OUT_COLUMNS)]
        ids = np.array([csv_field(pid) for pid in self.patient_ids], dtype=object)
        rest = np.empty(len(self.items), dtype=object)
        ready = self.lines or [None] * len(self.items)
        for i in np.unique(self.item).tolist():  # only the items some row shows
            rest[i] = "," + (ready[i] or csv_line(self.items[i]))
        for start in range(0, len(self), _CHUNK):
            stop = min(start + _CHUNK, len(self))
            pieces = np.empty(2 * (stop - start), dtype=object)
            pieces[0::2] = ids[self.patient[start:stop]]
            pieces[1::2] = rest[self.item[start:stop]]
            yield pieces.tolist()


def csv_field(text: str) -> str:
    """One field as ``csv.writer(lineterminator="\n")`` writes it in a row of several fields:
    quoted when it holds a comma, a quote or a newline (a lone carriage return is not quoted)."""
    return '"' + text.replace('"', '""') + '"' if ("," in text or '"' in text or "\n" in text) else text


def csv_line(values: tuple[str, ...]) -> str:
    return ",".join(map(csv_field, values)) + "\n"
