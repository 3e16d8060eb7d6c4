"""The process pool: a ward screened in parts on worker processes gives exactly the result of
one process (the same rows in the same order, summary, notes, counts and exit code)."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pandas", reason="needs the batch extra (pandas)")

import pandas as pd
from click.testing import CliRunner

import pharmcheck.batch.pool
from pharmcheck.batch import read_table, screen
from pharmcheck.batch.pool import (
    SCREEN_FULL_COLLECTION_EVERY,
    WardPool,
    _append,
    screen_in_pool,
    split_by_patient,
)
from pharmcheck.batch.results import ScreenResult
from pharmcheck.cli import cli
from pharmcheck.errors import PharmcheckError
from tests.bad_ward import AS_OF, PATIENTS, ROWS, ward_meds

# The bad ward, with more: an unused column, a second unknown and a second void status in other
# patients, and patients without medication rows (one refused, one unrecognised condition).
EXTRA_ROWS = [
    ("p8", "tramadol", "", "", "", "unknown", ""),
    ("p10", "sertraline", "", "", "", "cancelled", ""),
    ("p11", "meropenem 1 g tds", "", "", "", "unknown", ""),
    ("p2", "lithium 400 mg nocte", "", "", "2027-01-01", "", ""),  # stops after the screen date
    ("p11", "sertraline", "", "", "9999-12-31", "", ""),
    ("p11", "neurontn 300 mg tid", "", "", "", "", ""),  # read fuzzily: a note, in two parts
    ("p1", "neurontn 300 mg tid", "", "", "", "", ""),
]
EXTRA_PATIENTS = pd.DataFrame(
    {
        "patient_id": ["p12", "p13", "", "p20"],
        "age": ["999", "45", "30", "abc"],
        "crcl": ["", "90", "", ""],
        "egfr": ["", "20", "", ""],  # not used: a note on how the patients table was read
        "conditions": ["", "made-up syndrome", "", ""],
        "myoclonus": ["", "", "", ""],
    }
)


def _ward() -> tuple[pd.DataFrame, pd.DataFrame]:
    meds = pd.concat(
        [ward_meds(), pd.DataFrame(EXTRA_ROWS, columns=ward_meds().columns)], ignore_index=True
    )
    meds["colour"] = "blue"  # not a column the screen reads: one note, not one per part
    return meds, pd.concat([PATIENTS, EXTRA_PATIENTS], ignore_index=True)


def _assert_same(pooled: ScreenResult, single: ScreenResult) -> None:
    pd.testing.assert_frame_equal(pooled.findings, single.findings)
    pd.testing.assert_frame_equal(pooled.summary, single.summary)
    assert pooled.notes == single.notes
    for counted in (
        "rows_screened",
        "rows_reported",
        "severities",
        "hidden",
        "suppressed",
        "unrecognized",
        "by_structure",
        "kb_version",
        "rejected_rows",
        "unknown_status_rows",
        "void_status_rows",
        "still_given_rows",
    ):
        assert getattr(pooled, counted) == getattr(single, counted), counted
    for read in ("read_rows", "patient_read_rows"):
        assert {n: sorted(r.tolist()) for n, r in getattr(pooled, read).items()} == {
            n: sorted(r.tolist()) for n, r in getattr(single, read).items()
        }


@pytest.mark.parametrize("workers", [2, 3])
def test_the_pool_gives_the_single_process_result(  # type: ignore[no-untyped-def]
    checker, kb_url: str, workers: int, tmp_path: Path
) -> None:
    meds, patients = _ward()
    single = screen(meds, patients, runner=checker, as_of=AS_OF)
    pooled = screen_in_pool(
        meds, patients, workers=workers, db_url=kb_url, as_of=AS_OF, in_process_below=0
    )
    kinds = set(single.findings["category"])
    assert {"rejected-row", "unrecognized", "structure-only"} <= kinds  # every kind of row
    unknown = [n for n in single.notes if n.startswith("status unknown")]
    assert unknown == ["status unknown on 3 row(s) (rows 15, 23, 25): screened as active"]
    assert sum("is not used" in n for n in single.notes) == 1
    later = [n for n in single.notes if n.startswith("stop date after")]
    assert later == [
        "stop date after the screening date on 2 row(s) (rows 26, 27): still given on it"
    ]
    fuzzy = "rows 28, 29: 'neurontn 300 mg tid' read as gabapentin (fuzzy"
    assert "patients rows 13: CrCl 90 mL/min was given: eGFR 20 not used" in single.notes
    assert any(n.startswith(fuzzy) for n in single.notes)
    assert any(n.startswith("patient p12 (no medication rows)") for n in single.notes)
    _assert_same(pooled, single)
    written = BytesIO()
    counted = screen_in_pool(
        meds, patients, workers=workers, db_url=kb_url, as_of=AS_OF, in_process_below=0,
        csv_to=written, scratch=tmp_path,
    )  # fmt: skip
    expected = BytesIO()
    single.rows.write_csv(expected)
    assert written.getvalue() == expected.getvalue()  # each worker wrote its part, joined here
    assert len(counted.rows) == 0 and counted.summary.equals(single.summary)
    assert counted.severities == single.severities and counted.notes == single.notes
    assert list(tmp_path.iterdir()) == []  # the parts' files are gone
    # to a file: the first part written straight into it, the others copied in after it
    with (tmp_path / "out.csv").open("wb") as handle:
        handle.write(b"kept\n")  # a file the caller had begun: the rows follow what it holds
        screen_in_pool(
            meds, patients, workers=workers, db_url=kb_url, as_of=AS_OF, in_process_below=0,
            csv_to=handle, scratch=tmp_path,
        )  # fmt: skip
        handle.write(b"end\n")  # where the handle stands after the join: the file's end
    assert (tmp_path / "out.csv").read_bytes() == b"kept\n" + expected.getvalue() + b"end\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_each_part_holds_whole_patients_in_natural_order() -> None:
    meds, patients = _ward()
    parts = split_by_patient(meds, patients, 3)
    assert len(parts) == 3
    seen: list[str] = []
    for part_meds, part_patients in parts:
        assert part_patients is not None
        ids = sorted(set(part_meds["patient_id"]) | set(part_patients["patient_id"]))
        assert not set(ids) & set(seen)  # no patient in two parts
        seen += ids
    # the first part holds the rows without an id; then p1 < p2 < ... < p10 < p11 < p20
    assert parts[0][0]["patient_id"].iloc[0] == "p1" and "" in set(parts[0][0]["patient_id"])
    firsts = [min(set(m["patient_id"]) - {""}, key=lambda p: int(p[1:])) for m, _ in parts]
    assert [int(p[1:]) for p in firsts] == sorted(int(p[1:]) for p in firsts)
    rows = sorted(r for m, _ in parts for r in m.attrs["source_rows"])
    assert rows == list(range(2, len(meds) + 2))  # every row once, numbered as in the source


def test_malformed_rows_go_with_their_patient(tmp_path: Path, checker, kb_url: str) -> None:  # type: ignore[no-untyped-def]
    meds, patients = tmp_path / "meds.csv", tmp_path / "patients.csv"
    meds.write_text(
        "patient_id,name\np1,morphine\np2,tramadol\np3,lithium\np4,gabapentin,600 mg\n"
        "p9,tramadol\np4,morphine\n,lithium\np5\n"
    )
    patients.write_text("patient_id,age\np1,70\n\np2,abc\np3,40,extra\n,\np4,50\np9,60\n")
    med_table, patient_table = read_table(str(meds)), read_table(str(patients))
    single = screen(med_table, patient_table, runner=checker, as_of=AS_OF)
    assert single.rows_reported == 5  # malformed rows, a missing id, a short row without a name
    assert single.notes == [
        f"{meds}: 1 row(s) end early (rows 9); their missing trailing cells read as blank"
    ]
    pooled = screen_in_pool(
        med_table, patient_table, workers=2, db_url=kb_url, as_of=AS_OF, in_process_below=0
    )
    _assert_same(pooled, single)


def test_a_small_ward_and_one_worker_stay_in_this_process(
    checker, kb_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    def no_pool(*args: object, **kwargs: object) -> None:
        raise AssertionError("a worker process was started")

    monkeypatch.setattr("pharmcheck.batch.pool.ProcessPoolExecutor", no_pool)
    meds, patients = _ward()
    single = screen(meds, patients, runner=checker, as_of=AS_OF)
    for workers, below in ((2, 100_000), (1, 0)):  # too few rows for a pool; one worker
        pooled = screen_in_pool(
            meds, patients, workers=workers, db_url=kb_url, as_of=AS_OF, in_process_below=below
        )
        _assert_same(pooled, single)


def test_a_refused_table_is_refused_before_the_pool(kb_url: str) -> None:
    from pharmcheck.errors import InputError

    with pytest.raises(InputError, match="missing required column"):
        screen_in_pool(
            pd.DataFrame({"name": ["morphine"]}), workers=2, db_url=kb_url, in_process_below=0
        )
    with pytest.raises(InputError, match="PC999"):
        screen_in_pool(ward_meds(), workers=2, db_url=kb_url, select=["PC999"], in_process_below=0)


def test_cli_one_worker_and_two_give_the_same_output_and_exit_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("pharmcheck.batch.pool.IN_PROCESS_BELOW", 0)
    meds, patients = _ward()
    meds.to_csv(tmp_path / "meds.csv", index=False)
    patients.to_csv(tmp_path / "patients.csv", index=False)
    runs = {}
    # workers; the pool started before reading (a "big" file) or after; findings to stdout or not
    for workers, early, to_stdout in (
        ("1", False, False),
        ("2", False, False),
        ("2", True, False),
        ("1", False, True),
        ("2", True, True),
    ):
        monkeypatch.setattr("pharmcheck.batch.pool.EARLY_START_BYTES", 0 if early else 10**9)
        out = tmp_path / f"out{workers}{early}.csv"
        summary = tmp_path / f"summary{workers}{early}{to_stdout}.csv"
        args = ["screen", str(tmp_path / "meds.csv"), "--patients", str(tmp_path / "patients.csv")]
        args += ["--summary", str(summary), "--as-of", AS_OF.isoformat(), "--workers", workers]
        done = CliRunner().invoke(cli, args if to_stdout else [*args, "-o", str(out)])
        findings = done.stdout_bytes if to_stdout else out.read_bytes()
        runs[workers, early, to_stdout] = (
            done.exit_code, done.stderr, findings, summary.read_bytes()
        )  # fmt: skip
    first, *others = runs.values()
    assert first[0] == 1  # rejected rows, unrecognised inputs and major findings
    assert "rejected row(s)" in first[1] and len(first[2]) > 1000
    assert all(run == first for run in others)
    assert len(ROWS) + len(EXTRA_ROWS) == len(meds)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


class _EndsTheProcessThatUnpicklesIt:
    """A cell whose unpickling ends the worker process at once, as the out-of-memory killer
    would."""

    def __reduce__(self) -> tuple[object, tuple[int]]:
        import os

        return os._exit, (3,)


@pytest.mark.parametrize("to_csv", [False, True])
def test_a_worker_that_dies_is_a_one_line_error_not_a_traceback(
    kb_url: str, tmp_path: Path, to_csv: bool
) -> None:
    meds = ward_meds()
    meds["note"] = pd.Series([_EndsTheProcessThatUnpicklesIt()] * len(meds), dtype=object)
    written = BytesIO()
    with pytest.raises(PharmcheckError, match="a worker process of the screen ended") as raised:
        screen_in_pool(
            meds, workers=2, db_url=kb_url, as_of=AS_OF, in_process_below=0,
            csv_to=written if to_csv else None, scratch=tmp_path,
        )  # fmt: skip
    assert raised.value.__cause__ is None and "\n" not in str(raised.value)
    assert written.getvalue() == b"" and list(tmp_path.iterdir()) == []


@pytest.fixture
def collector() -> Iterator[tuple[int, int, int]]:
    """The collector's thresholds before the test, put back after it."""
    before = gc.get_threshold()
    yield before
    gc.set_threshold(*before)


def test_the_library_leaves_the_collector_alone_the_cli_and_workers_set_it(  # type: ignore[no-untyped-def]
    checker, kb_url: str, tmp_path: Path, collector: tuple[int, int, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    gc.set_threshold(700, 10, 10)  # Python's defaults, whatever an earlier test left
    meds, patients = _ward()
    screen(meds, patients, runner=checker, as_of=AS_OF)
    screen_in_pool(meds, patients, workers=2, db_url=kb_url, as_of=AS_OF, in_process_below=0)
    assert gc.get_threshold() == (700, 10, 10)  # a program embedding the library
    with WardPool(2, kb_url) as pool:
        in_worker = pool._executor.submit(gc.get_threshold).result()  # one of the pool's own
    assert in_worker == (700, 10, SCREEN_FULL_COLLECTION_EVERY)
    while_screening = []
    real = pharmcheck.batch.pool.screen_in_pool

    def seen(*args: Any, **kwargs: Any) -> Any:
        while_screening.append(gc.get_threshold())
        return real(*args, **kwargs)

    monkeypatch.setattr("pharmcheck.batch.pool.screen_in_pool", seen)
    meds.to_csv(tmp_path / "meds.csv", index=False)
    args = ["screen", str(tmp_path / "meds.csv"), "--as-of", AS_OF.isoformat(), "--exit-zero"]
    assert CliRunner().invoke(cli, [*args, "-o", str(tmp_path / "out.csv")]).exit_code == 0
    assert while_screening == [(700, 10, SCREEN_FULL_COLLECTION_EVERY)]
    assert gc.get_threshold() == (700, 10, 10)  # put back: CliRunner's process goes on


@pytest.mark.skipif(not hasattr(os, "copy_file_range"), reason="the system has no file copy")
@pytest.mark.parametrize("system_copies", [True, False])
def test_a_part_file_is_appended_whole_whether_or_not_the_system_copies_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, system_copies: bool
) -> None:
    part = tmp_path / "part.csv"
    part.write_bytes(b"header\n" + b"".join(b"row %d,\xc3\xa9\n" % i for i in range(50_000)))
    copies = []
    real = os.copy_file_range

    def copy(*args: Any) -> int:
        copies.append(args)
        if not system_copies:  # as between two file systems on an older kernel
            raise OSError(18, "Invalid cross-device link")
        return real(*args)

    monkeypatch.setattr("os.copy_file_range", copy)
    with (tmp_path / "out.csv").open("wb") as handle:
        handle.write(b"before\n")
        _append(part, len(b"header\n"), handle)
        handle.write(b"after\n")
    expected = b"before\n" + part.read_bytes()[len(b"header\n") :] + b"after\n"
    assert (tmp_path / "out.csv").read_bytes() == expected
    assert copies  # tried between the two files (and, refused, the bytes were copied instead)
    with (tmp_path / "out.csv").open("ab") as handle:  # appending: the system refuses to copy
        _append(part, len(b"header\n"), handle)
    assert (tmp_path / "out.csv").read_bytes() == expected + expected[len(b"before\n") : -6]
    copies.clear()
    to_stream = BytesIO()
    _append(part, len(b"header\n"), to_stream)
    assert to_stream.getvalue() == part.read_bytes()[len(b"header\n") :] and not copies
