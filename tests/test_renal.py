"""Cockcroft-Gault creatinine clearance (pharmcheck.inputs.renal)."""

import pytest

from pharmcheck.inputs.renal import cockcroft_gault


def test_worked_examples() -> None:
    # (140 - 65) x 70 / (72 x 1.4) = 5250 / 100.8 = 52.08
    assert cockcroft_gault(65, 70, "male", 1.4).value == pytest.approx(52.08, abs=0.01)
    # (140 - 45) x 60 / (72 x 0.9) x 0.85 = 87.96 x 0.85 = 74.77
    assert cockcroft_gault(45, 60, "female", 0.9).value == pytest.approx(74.77, abs=0.01)


def test_micromoles_are_converted() -> None:
    # 123.76 umol/L is 1.4 mg/dL
    assert cockcroft_gault(65, 70, "male", 123.76, "umol/L").value == pytest.approx(52.08, abs=0.01)


def test_unknown_sex_gives_no_estimate() -> None:
    estimate = cockcroft_gault(65, 70, None, 1.4)
    assert estimate.value is None and "sex (female or male)" in estimate.missing
