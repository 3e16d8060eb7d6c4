"""Finding rows held compactly: a million rows share a few hundred thousand distinct findings,
so each row is a patient and an index into the distinct rows' other columns."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
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
)
# Rows per write: a block of about 100 KB is joined in memory the allocator reuses; blocks of
# megabytes are fresh pages each time (0.7 s against 1.1-1.6 s for a 672 MB file).
_BLOCK_ROWS = 256


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
        """The header and every row in UTF-8, byte for byte what ``csv.writer`` writes."""
        handle.write(csv_line(OUT_COLUMNS).encode())
        ready = self.lines or [None] * len(self.items)
        for block in self._blocks(csv_field, lambda i: "," + (ready[i] or csv_line(self.items[i]))):
            handle.write(block)

    def write_jsonl(self, handle: IO[bytes]) -> None:
        """One JSON object per line in UTF-8, keys in the OUT columns' order."""

        def rest(i: int) -> str:
            return "," + _json(self._record(i))[1:] + "\n"

        for block in self._blocks(lambda pid: '{"patient_id":' + _json(pid), rest):
            handle.write(block)

    def write_json(self, handle: IO[bytes]) -> None:
        """One JSON array of objects in UTF-8, two-space indented."""

        def rest(i: int) -> str:  # as json.dumps(indent=2) nests it, without its Python encoder's
            # reference cycles, which pile up while a screen pauses the cyclic collector
            return (
                "".join(f",\n    {_json(k)}: {_json(v)}" for k, v in self._record(i).items())
                + "\n  }"
            )

        handle.write(b"[")
        for block in self._blocks(
            lambda pid: '\n  {\n    "patient_id": ' + _json(pid), rest, between=","
        ):
            handle.write(block)
        handle.write(b"\n]\n" if len(self) else b"]\n")

    def _record(self, item: int) -> dict[str, str]:
        """An item as the OUT columns after patient_id, by name."""
        return dict(zip(OUT_COLUMNS[1:], self.items[item], strict=True))

    def _blocks(
        self, patient_text: Callable[[str], str], item_text: Callable[[int], str], between: str = ""
    ) -> Iterator[bytes]:
        """Every row as ``patient_text(patient id) + item_text(item)`` in UTF-8, ``between`` rows, a
        block of rows at a time; each patient's and each shown item's text is encoded once."""
        ids = np.array([patient_text(pid).encode() for pid in self.patient_ids], dtype=object)
        rest = np.empty(len(self.items), dtype=object)
        for i in np.unique(self.item).tolist():  # only the items some row shows
            rest[i] = item_text(i).encode()
        step = 3 if between else 2
        for start in range(0, len(self), _BLOCK_ROWS):
            stop = min(start + _BLOCK_ROWS, len(self))
            pieces = np.empty(step * (stop - start), dtype=object)
            if between:
                pieces[0::3] = between.encode()
                if not start:
                    pieces[0] = b""  # nothing comes before the first row
            pieces[step - 2 :: step] = ids[self.patient[start:stop]]
            pieces[step - 1 :: step] = rest[self.item[start:stop]]
            yield b"".join(pieces.tolist())


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def csv_field(text: str) -> str:
    """One field as ``csv.writer(lineterminator="\n")`` writes it in a row of several fields, once
    made safe for a spreadsheet (:func:`~pharmcheck.report.escape.spreadsheet_cell`): quoted when
    it holds a comma or a quote."""
    text = spreadsheet_cell(text)
    return '"' + text.replace('"', '""') + '"' if ("," in text or '"' in text) else text


def csv_line(values: tuple[str, ...]) -> str:
    return ",".join(map(csv_field, values)) + "\n"
