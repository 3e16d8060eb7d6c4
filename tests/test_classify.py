"""Structures as input: `pharmcheck classify`, structures in medication lists, predicted
findings."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from pharmcheck.cli import cli
from pharmcheck.domain import Medication, Severity
from pharmcheck.errors import InputError
from pharmcheck.smiles_text import looks_like_smiles

REPO = Path(__file__).resolve().parent.parent
TRAMADOL_HCL = "CN(C)CC1CCCCC1(C2=CC(=CC=C2)OC)O.Cl"
# Analogues that are not KB drugs (checked below), each close to a drug with a curated grade.
PETHIDINE = "CCOC(=O)C1(c2ccccc2)CCN(C)CC1"  # db/drugs/opioids-misc.csv
PETHIDINE_PROPYL_ESTER = "CCCOC(=O)C1(c2ccccc2)CCN(C)CC1"
N_ETHYL_NORMORPHINE = "CCN1CC[C@]23c4c5ccc(O)c4O[C@H]2[C@@H](O)C=C[C@H]3[C@H]1C5"
CIPROFLOXACIN_METHYLPIPERAZINE = "CC1CN(c2cc3c(cc2F)c(=O)c(C(=O)O)cn3C2CC2)CC(C)N1"
CEFEPIME_ETHYL_ANALOGUE = "CON=C(C(=O)NC1C(=O)N2C(C(=O)[O-])=C(C[N+]3(CC)CCCC3)CSC12)c1csc(N)n1"
CIPROFLOXACIN_8_CHLORO = "O=C(O)c1cn(C2CC2)c2c(Cl)c(N3CCNCC3)c(F)cc2c1=O"
ANALOGUES = [
    PETHIDINE_PROPYL_ESTER,
    N_ETHYL_NORMORPHINE,
    CIPROFLOXACIN_METHYLPIPERAZINE,
    CEFEPIME_ETHYL_ANALOGUE,
    CIPROFLOXACIN_8_CHLORO,
]
UNRELATED = "OCc1ccc(-c2ccccn2)cc1C#N"


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args))


# --- pharmcheck classify ----------------------------------------------------------------------


def test_classify_salt_matches_its_parent_drug() -> None:
    result = run("classify", TRAMADOL_HCL)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert list(data) == [
        "input",
        "standardized_smiles",
        "inchikey",
        "match",
        "classes",
        "neighbours",
        "prediction",
    ]
    assert data["input"] == TRAMADOL_HCL
    assert data["match"] == {"drug": "tramadol", "by": "inchikey"}
    assert data["inchikey"] == "TVYLLZQTGLZFBW-UHFFFAOYSA-N"
    assert "." not in data["standardized_smiles"]
    assert data["prediction"]["myoclonus_relevant"] is True


def test_classify_novel_analogue_shows_class_neighbour_and_prediction() -> None:
    data = json.loads(run("classify", PETHIDINE_PROPYL_ESTER).output)
    assert data["match"] is None
    assert {"class": "phenylpiperidine", "by": "smarts"} in data["classes"]
    top = data["neighbours"][0]
    assert (
        top["drug"] == "pethidine"
        and top["similarity"] >= 0.7
        and top["myoclonus_grade"] == "known"
    )
    assert all(n["similarity"] >= 0.7 for n in data["neighbours"])
    assert data["prediction"]["myoclonus_relevant"] is True
    assert "predicted" in data["prediction"]["basis"] and "pethidine" in data["prediction"]["basis"]


def test_classify_fluoroquinolone_core() -> None:
    data = json.loads(run("classify", CIPROFLOXACIN_8_CHLORO).output)
    assert data["match"] is None
    assert [c["class"] for c in data["classes"]] == ["fluoroquinolone"]
    assert data["prediction"]["myoclonus_relevant"] is True


def test_classify_unrelated_compound_is_not_flagged() -> None:
    data = json.loads(run("classify", UNRELATED).output)
    assert data["match"] is None and data["classes"] == [] and data["neighbours"] == []
    assert data["prediction"]["myoclonus_relevant"] is False


def test_classify_inchi_and_molfile(tmp_path: Path) -> None:
    from rdkit import Chem

    inchi = Chem.MolToInchi(Chem.MolFromSmiles("CC(=O)Nc1ccc(O)cc1"))
    assert json.loads(run("classify", inchi).output)["match"]["drug"] == "paracetamol"
    molfile = tmp_path / "tramadol.mol"
    molfile.write_text(Chem.MolToMolBlock(Chem.MolFromSmiles(TRAMADOL_HCL)))
    result = run("classify", str(molfile))
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["match"]["drug"] == "tramadol" and data["input"] == str(molfile)


def test_classify_text_format() -> None:
    result = run("classify", TRAMADOL_HCL, "--format", "text")
    assert result.exit_code == 0
    assert "tramadol (by InChIKey)" in result.output


@pytest.mark.parametrize("bad", ["C1CC", "CC(C", "xyzzy", "InChI=1S/garbage", "C(C)(C)(C)(C)C", ""])
def test_classify_bad_structure_exits_2_with_one_line(bad: str) -> None:
    result = run("classify", bad)
    assert result.exit_code == 2
    assert result.output.count("\n") == 1
    assert result.output.startswith("pharmcheck: error: cannot read the structure")
    assert "Traceback" not in result.output


def test_classify_missing_molfile_exits_2(tmp_path: Path) -> None:
    result = run("classify", str(tmp_path / "absent.mol"))
    assert result.exit_code == 2 and "cannot read the molfile" in result.output


# --- structures in medication lists ------------------------------------------------------------


@pytest.mark.parametrize(
    ("salt", "drug"),
    [
        (TRAMADOL_HCL, "tramadol"),
        ("CCN1C=C(C(=O)O)C(=O)c2cc(F)c(N3CCNCC3)cc21.CS(=O)(=O)O", "norfloxacin"),
    ],
)
def test_smiles_field_salt_resolves_by_structure(checker, salt: str, drug: str) -> None:  # type: ignore[no-untyped-def]
    report = checker.check([Medication("unnamed tablet 1 tab bd", smiles=salt)])
    assert not report.unrecognized and not report.structures
    (med,) = report.medications
    assert (med.drug, med.match, med.input) == (drug, "structure", "unnamed tablet 1 tab bd")
    assert any(f.code == "PC101" and f.drugs == (drug,) for f in report.findings)


@pytest.mark.parametrize(
    ("salt", "drug"),
    [
        (TRAMADOL_HCL, "tramadol"),
        ("CCN1C=C(C(=O)O)C(=O)c2cc(F)c(N3CCNCC3)cc21.Cl", "norfloxacin"),
        ("CCCC(CCC)C(=O)[O-].[Na+]", "valproic acid"),
    ],
)
def test_salt_given_as_name_resolves_to_parent(checker, salt: str, drug: str) -> None:  # type: ignore[no-untyped-def]
    report = checker.check([salt])
    assert [(m.drug, m.match) for m in report.medications] == [(drug, "structure")]
    assert not report.structures and not report.unrecognized


def test_unidentified_structure_is_screened_not_unrecognized(checker) -> None:  # type: ignore[no-untyped-def]
    report = checker.check([PETHIDINE_PROPYL_ESTER, "amlodipine 5 mg daily"])
    assert not report.unrecognized
    assert [m.drug for m in report.medications] == ["amlodipine"]
    (screened,) = report.to_dict()["structures"]
    assert screened["input"] == PETHIDINE_PROPYL_ESTER
    assert "phenylpiperidine" in screened["classes"]
    assert screened["neighbours"][0]["drug"] == "pethidine"
    assert set(screened) == {"input", "smiles", "inchikey", "classes", "neighbours"}


def test_unreadable_smiles_field_is_an_input_error(checker) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match="cannot be read"):
        checker.check([Medication("mystery", smiles="C1CC")])


def test_unreadable_smiles_field_exits_2_from_the_cli(tmp_path: Path) -> None:
    request = tmp_path / "request.json"
    request.write_text(json.dumps({"medications": [{"name": "mystery", "smiles": "C1CC"}]}))
    result = run("check", "--input", str(request))
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "cannot be read" in result.output


def test_a_name_that_is_not_smiles_is_never_parsed_as_one(checker) -> None:  # type: ignore[no-untyped-def]
    report = checker.check(["tramadol", "Neurontin 600 tid"])
    assert [m.match for m in report.medications] != [] and not report.structures
    assert all(m.match != "structure" for m in report.medications)


# --- predicted findings -----------------------------------------------------------------------


def _predicted(report):  # type: ignore[no-untyped-def]
    return [f for f in report.findings if f.code.startswith("PC8")]


def _check_predicted(findings) -> None:  # type: ignore[no-untyped-def]
    for finding in findings:
        assert finding.severity <= Severity.MINOR
        assert finding.evidence == "very-low"
        assert "predicted" in finding.title.lower()
        assert "predicted grade is possible" in finding.message
        for grade in ("known", "probable", "conditional"):
            assert f"predicted grade is {grade}" not in finding.message


@pytest.mark.parametrize("analogue", ANALOGUES)
def test_novel_analogue_is_no_kb_drug_and_gets_capped_predictions(checker, analogue: str) -> None:  # type: ignore[no-untyped-def]
    report = checker.check([analogue], as_of=None)
    assert not report.medications, "the analogue must not be a KB drug for this test"
    findings = _predicted(report)
    assert findings
    _check_predicted(findings)
    assert report.highest_severity is not None and report.highest_severity <= Severity.MINOR


def test_neighbour_finding_names_neighbour_and_score(checker) -> None:  # type: ignore[no-untyped-def]
    """PC802's score is the Tanimoto similarity of Morgan fingerprints (radius 2, 2048 bits, as
    its documentation says) to pethidine, the ethyl ester of which this is the propyl ester."""
    from rdkit import Chem, DataStructs
    from rdkit.Chem import rdFingerprintGenerator

    morgan = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    pethidine = morgan.GetFingerprint(Chem.MolFromSmiles(PETHIDINE))
    analogue = morgan.GetFingerprint(Chem.MolFromSmiles(PETHIDINE_PROPYL_ESTER))
    score = DataStructs.TanimotoSimilarity(pethidine, analogue)
    assert 0.7 <= score < 1  # a close analogue, above PC802's threshold, not pethidine itself
    (finding,) = [
        f for f in _predicted(checker.check([PETHIDINE_PROPYL_ESTER])) if f.code == "PC802"
    ]
    assert "pethidine" in finding.message
    assert f"Tanimoto similarity {score:.2f}" in finding.message


def test_class_finding_names_the_class(checker) -> None:  # type: ignore[no-untyped-def]
    (finding,) = [
        f for f in _predicted(checker.check([CIPROFLOXACIN_8_CHLORO])) if f.code == "PC801"
    ]
    assert "class fluoroquinolone" in finding.message
    assert finding.category == "causative"


def test_predicted_rules_stay_silent_for_named_drugs(checker) -> None:  # type: ignore[no-untyped-def]
    report = checker.check(["pethidine 50 mg q4h", "ciprofloxacin 500 mg bd", "morphine 10 mg q4h"])
    assert not _predicted(report)


@settings(max_examples=30, deadline=None)
@given(
    base=st.sampled_from(ANALOGUES + [TRAMADOL_HCL, UNRELATED]),
    seed=st.integers(min_value=0, max_value=2**31 - 1),
)
def test_structure_match_is_independent_of_smiles_writing(kb, base: str, seed: int) -> None:  # type: ignore[no-untyped-def]
    from rdkit import Chem

    from pharmcheck.structures import match_structure

    (randomised,) = Chem.MolToRandomSmilesVect(Chem.MolFromSmiles(base), 1, randomSeed=seed)
    first, again = match_structure(kb, base), match_structure(kb, randomised)
    assert (again.inchikey, again.drug, again.class_names) == (
        first.inchikey,
        first.drug,
        first.class_names,
    )
    assert [n.drug for n in again.neighbours] == [n.drug for n in first.neighbours]


@settings(max_examples=30, deadline=None)
@given(base=st.sampled_from(ANALOGUES))
def test_predictions_never_exceed_possible_with_any_patient(checker, base: str) -> None:  # type: ignore[no-untyped-def]
    from pharmcheck.domain import Patient

    for patient in (Patient(), Patient(myoclonus="worsening", crcl=10, age=90)):
        _check_predicted(_predicted(checker.check([base], patient)))


# --- the light SMILES guess and the no-RDKit check path ----------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tramadol", False),
        ("Neurontin 600 tid", False),
        ("Demerol 75 mg IM q3h", False),
        ("CO", False),
        ("C1CC", False),
        ("CC(C", False),
        ("co-codamol", False),
        ("5-FU", False),
        (TRAMADOL_HCL, True),
        ("c1ccccc1", True),
        ("[Na+].[Cl-]", True),
        (PETHIDINE_PROPYL_ESTER, True),
    ],
)
def test_light_smiles_guess(text: str, expected: bool) -> None:
    assert looks_like_smiles(text) is expected


def test_check_without_structures_never_imports_rdkit(kb_url: str) -> None:
    code = (
        "import sys; from pharmcheck.engine import check; from pharmcheck.domain import "
        "Medication; "
        "r = check(['tramadol 50 mg qid', 'Neurontin 600 tid', 'xyzzy', 'CO'], "
        f"db_url={kb_url!r}); "
        "assert r.medications; assert 'rdkit' not in sys.modules, 'rdkit imported'; print('ok')"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        capture_output=True,
        text=True,
        cwd=REPO,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
