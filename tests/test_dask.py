"""Screening on Dask: a LocalCluster of 2 worker processes gives, row for row, what the
single-machine screen gives, on a ward with every kind of bad row spread over partitions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

pytest.importorskip("dask.dataframe", reason="the dask extra is not installed")
pytest.importorskip("distributed", reason="the dask extra is not installed")

import dask.dataframe as dd
import pandas as pd
from distributed import Client, LocalCluster

from pharmcheck.batch import screen_frame
from pharmcheck.batch.dask_screen import screen_dask
from pharmcheck.cli import cli
from pharmcheck.domain import Severity
from pharmcheck.errors import InputError
from tests.bad_ward import AS_OF, PATIENTS, ROWS, ward_meds


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as local:
        yield local


@pytest.fixture
def client(cluster: LocalCluster) -> Iterator[Client]:
    with Client(cluster) as connected:
        yield connected


def _per_patient(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows grouped by patient, each patient's rows in their own order."""
    return frame.sort_values("patient_id", kind="stable").reset_index(drop=True)


def test_dask_gives_the_single_machine_rows(client: Client, checker, kb_url: str) -> None:  # type: ignore[no-untyped-def]
    single = screen_frame(ward_meds(), PATIENTS, runner=checker, as_of=AS_OF)
    meds = dd.from_pandas(ward_meds(), npartitions=4, sort=False)
    patients = dd.from_pandas(PATIENTS, npartitions=2, sort=False)
    found = screen_dask(meds, patients, db_url=kb_url, as_of=AS_OF, partitions=3)
    assert found.npartitions == 3
    out = found.compute()
    kinds = set(single["category"])
    assert {"rejected-row", "unrecognized", "structure-only"} <= kinds  # the ward has each kind
    assert len(single[single["category"] == "rejected-row"]) == 9
    pd.testing.assert_frame_equal(_per_patient(out), _per_patient(single))


def test_rejected_rows_keep_their_source_row_numbers(client: Client, kb_url: str) -> None:
    meds = dd.from_pandas(ward_meds(), npartitions=5, sort=False)
    out = screen_dask(meds, PATIENTS, db_url=kb_url, as_of=AS_OF, partitions=2).compute()
    rejected = out[out["category"] == "rejected-row"]
    reasons = dict(zip(rejected["title"], rejected["message"], strict=True))
    # the header is row 1, so ROWS[i] is row i + 2
    assert reasons["Row 3 not screened"].endswith("missing medication name")
    assert reasons["Row 4 not screened"].endswith("missing patient_id")
    assert "not in the patients table" in reasons["Row 6 not screened"]
    assert "stop date before start date" in reasons["Row 8 not screened"]
    unrecognised = out[(out["category"] == "unrecognized") & (out["patient_id"] == "p2")]
    assert set(unrecognised["message"].str.split(":").str[0]) == {"row 12", "patients row 3"}


def test_a_patient_never_straddles_partitions(client: Client, checker, kb_url: str) -> None:  # type: ignore[no-untyped-def]
    names = [r[1] for r in ROWS if r[1] and r[0]] * 20
    meds = pd.DataFrame({"patient_id": [f"q{i % 37}" for i in range(len(names))], "name": names})
    single = screen_frame(meds, runner=checker, as_of=AS_OF)
    ward = dd.from_pandas(meds, npartitions=7, sort=False)  # every patient's rows spread over all 7
    out = screen_dask(ward, db_url=kb_url, as_of=AS_OF, partitions=4).compute()
    assert len(single) > 300
    pd.testing.assert_frame_equal(_per_patient(out), _per_patient(single))


def test_paths_are_read_by_the_workers(
    client: Client, checker, kb_url: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    ward_meds().to_csv(tmp_path / "meds.csv", index=False)
    PATIENTS.to_parquet(tmp_path / "patients.parquet")
    single = screen_frame(ward_meds(), PATIENTS, runner=checker, as_of=AS_OF)
    out = screen_dask(
        str(tmp_path / "meds.csv"), tmp_path / "patients.parquet", db_url=kb_url, as_of=AS_OF
    ).compute()
    pd.testing.assert_frame_equal(_per_patient(out), _per_patient(single))


def test_a_wrong_rule_code_or_table_is_refused_before_any_work(kb_url: str) -> None:
    with pytest.raises(InputError, match="no rule matches"):
        screen_dask(dd.from_pandas(ward_meds(), npartitions=1), db_url=kb_url, select=["PC999"])
    with pytest.raises(InputError, match="missing required column"):
        screen_dask(dd.from_pandas(pd.DataFrame({"name": ["x"]}), npartitions=1), db_url=kb_url)


def test_cli_writes_parquet_partitions_on_a_scheduler(  # type: ignore[no-untyped-def]
    cluster: LocalCluster, checker, kb_url: str, tmp_path: Path
) -> None:
    ward_meds().to_csv(tmp_path / "meds.csv", index=False)
    PATIENTS.to_csv(tmp_path / "patients.csv", index=False)
    out = tmp_path / "findings"
    out.mkdir()
    (out / "stale.parquet").write_bytes(b"from an earlier run")
    args = ["screen", str(tmp_path / "meds.csv"), "--patients", str(tmp_path / "patients.csv")]
    args += ["--engine", "dask", "--scheduler", cluster.scheduler_address, "-o", str(out)]
    done = CliRunner().invoke(cli, [*args, "--as-of", "2026-11-25", "--db", kb_url])
    assert done.exit_code == 1, done.output  # findings, unrecognised input and rejected rows
    assert "9 rejected row(s)" in done.output
    assert not (out / "stale.parquet").exists()  # the folder was replaced as a whole
    written = pd.read_parquet(out).astype("string")
    single = screen_frame(ward_meds(), PATIENTS, runner=checker, as_of=AS_OF)
    pd.testing.assert_frame_equal(_per_patient(written), _per_patient(single))
    major = CliRunner().invoke(
        cli, [*args, "--as-of", "2026-11-25", "--db", kb_url, "--min-severity", "major"]
    )
    assert major.exit_code == 1, major.output
    above = screen_frame(
        ward_meds(), PATIENTS, runner=checker, as_of=AS_OF, min_severity=Severity.MAJOR
    )
    assert 0 < (above["code"] != "").sum() < (single["code"] != "").sum()
    pd.testing.assert_frame_equal(
        _per_patient(pd.read_parquet(out).astype("string")), _per_patient(above)
    )
    wrong = CliRunner().invoke(cli, ["screen", str(tmp_path / "meds.csv"), "--engine", "dask"])
    assert wrong.exit_code == 2 and "needs -o OUT_DIR" in wrong.output


def test_a_worker_refuses_a_kb_other_than_the_one_the_screen_started_with(kb_url: str) -> None:
    from pharmcheck.batch.parts import worker_checker
    from pharmcheck.errors import KnowledgeBaseError

    with pytest.raises(KnowledgeBaseError, match="not KB 0000 that the screen was started with"):
        worker_checker(kb_url, "0000")
    with pytest.raises(KnowledgeBaseError, match="no knowledge base at"):  # never built there
        worker_checker(kb_url.replace("kb.sqlite", "missing.sqlite"), "0000")


def test_a_partitions_row_numbers_follow_the_frames_derived_from_it_as_an_array() -> None:
    import numpy as np

    from pharmcheck.batch.parts import KEY, ROW, source_table
    from pharmcheck.batch.tables import row_numbers

    part = pd.DataFrame(
        {
            "patient_id": ["b", "a", "b"],
            "name": ["x", "y", "z"],
            ROW: [9, 4, 7],
            KEY: ["b", "a", "b"],
        }
    )
    table = source_table(part)
    derived = table[["name"]].astype(str).copy()  # pandas deep-copies attrs on each operation
    # an array, whose copy is one memcpy (a list was a fifth of a partition's CPU time)
    assert isinstance(derived.attrs["source_rows"], np.ndarray)
    assert row_numbers(derived).tolist() == [4, 7, 9]  # source order, as the rows were numbered
    assert table["name"].tolist() == ["y", "z", "x"]


def test_files_with_blank_lines_and_integer_ids_read_as_on_one_machine(  # type: ignore[no-untyped-def]
    client: Client, checker, kb_url: str, tmp_path: Path
) -> None:
    """pandas' CSV reader skipped a blank line, so every row after it was numbered one less
    than the file (and the single-machine screen) numbers it; pandas' Parquet reader made an
    integer id with a gap a float ("1001.0"), matching no patient."""
    import pyarrow as pa
    from pyarrow import parquet

    from pharmcheck.batch import read_table

    meds = tmp_path / "meds.csv"
    meds.write_text("patient_id,name\np1,tramadol\n\n , \np2,\np3,sertraline 50 mg daily\n")
    numbered = tmp_path / "numbered.parquet"
    parquet.write_table(
        pa.table({"patient_id": pa.array([1001, None, 1002]), "name": ["tramadol", "x", ""]}),
        numbered,
    )
    for path in (meds, numbered):
        single = screen_frame(read_table(str(path)), runner=checker, as_of=AS_OF)
        out = screen_dask(str(path), db_url=kb_url, as_of=AS_OF, partitions=2).compute()
        pd.testing.assert_frame_equal(_per_patient(out), _per_patient(single))
