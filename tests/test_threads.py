"""One Checker, many threads (as a CDS Hooks service calls it): every report is exactly the one
a single thread gets. Each run starts from a freshly opened KB, so the threads race to fill the
same caches (name resolutions, memoised lookups, conditions, citations)."""

from __future__ import annotations

import random
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from importlib.util import find_spec

from hypothesis import given, settings
from hypothesis import strategies as st

from pharmcheck import Checker, Medication, Patient, Report
from pharmcheck.kb.store import open_kb

THREADS = 16
AS_OF = date(2026, 11, 25)
NAMES = [
    "tramadol 50 mg qid",
    "Neurontin 600 tid",
    "gabbapentin 300 mg bd",  # a misspelling: fuzzy resolution
    "Demerol 75 mg IM q3h",
    "sertraline 100 mg, tramadol 50 mg qid",  # two drugs in one text
    "co-codamol 30/500 2 tabs qds",
    "cefepime 2 g q8h",
    "lithium 400 mg bd",
    "clonazepam 2 mg tid",
    "levetiracetam 1500 mg bd",
    "pregabalin 300 mg bd",
    "morphine 10 mg q4h prn",
    "valproate 500 mg bd",
    "carbamazepine 200 mg tid",
    "baclofen 20 mg tid",
    "ciprofloxacin 500 mg bd",
    "made-up-drug 5 mg",  # not recognised
    "Keppra",
]
if find_spec("rdkit") is not None:
    NAMES.append("CN(C)C[C@@H]1CCCC[C@]1(O)c1cccc(OC)c1")  # tramadol, by structure
MEDICATIONS = st.lists(
    st.builds(
        Medication,
        st.sampled_from(NAMES),
        status=st.sampled_from([None, "active", "stopped", "on-hold"]),
    ),
    min_size=1,
    max_size=6,
)
PATIENTS = st.builds(
    Patient,
    age=st.sampled_from([None, 30, 81]),
    crcl=st.sampled_from([None, 12, 25, 90]),
    dialysis=st.sampled_from([None, "hemodialysis"]),
    hepatic_impairment=st.sampled_from([None, "severe"]),
    conditions=st.sampled_from(
        [(), ("juvenile myoclonic epilepsy",), ("ESRD", "epilepsy"), ("Dravett syndrom",)]
    ),
    myoclonus=st.sampled_from([None, "present", "worsening"]),
)
CASES = st.lists(st.tuples(MEDICATIONS, PATIENTS), min_size=20, max_size=40)


def _in_threads(checker: Checker, cases: list[tuple[list[Medication], Patient]]) -> list[Report]:
    """Each thread checks every case, in its own order; the reports come back in case order."""

    def run(seed: int) -> list[Report]:
        order = list(range(len(cases)))
        random.Random(seed).shuffle(order)
        reports: dict[int, Report] = {}
        for i in order:
            meds, patient = cases[i]
            reports[i] = checker.check(meds, patient, as_of=AS_OF)
        return [reports[i] for i in range(len(cases))]

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch threads often, so that they interleave inside the caches
    try:
        with ThreadPoolExecutor(THREADS) as pool:
            return [r for per_thread in pool.map(run, range(THREADS)) for r in per_thread]
    finally:
        sys.setswitchinterval(interval)


@settings(max_examples=4)
@given(CASES)
def test_sixteen_threads_get_exactly_the_single_threaded_reports(kb_url, cases) -> None:  # type: ignore[no-untyped-def]
    alone = Checker(open_kb(kb_url))
    expected = [alone.check(meds, patient, as_of=AS_OF) for meds, patient in cases]
    shared = Checker(open_kb(kb_url))  # cold caches: the threads fill them together
    reports = _in_threads(shared, cases)
    assert len(reports) == THREADS * len(cases)
    for thread in range(THREADS):
        assert reports[thread * len(cases) : (thread + 1) * len(cases)] == expected
    assert any(r.findings for r in expected)  # the cases are not all trivially empty
