"""Name resolution: brands, salts, normalised names, misspellings, combinations, unknowns."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pharmcheck.inputs.resolve import Resolver


@pytest.mark.parametrize(
    ("text", "drugs", "match"),
    [
        ("gabapentin", {"gabapentin"}, "exact"),
        ("Neurontin", {"gabapentin"}, "brand"),
        ("KEPPRA", {"levetiracetam"}, "brand"),
        ("tramadol hydrochloride", {"tramadol"}, "salt"),
        ("Tramadol HCl", {"tramadol"}, "normalized"),
        ("meperidine", {"pethidine"}, "synonym"),
        ("acetaminophen", {"paracetamol"}, "synonym"),
        ("levodopa/carbidopa", {"levodopa", "carbidopa"}, "combination"),
        ("co-codamol", {"codeine", "paracetamol"}, "combination"),
        ("Bactrim", {"sulfamethoxazole", "trimethoprim"}, "combination"),
        (
            "Zosyn",
            {"piperacillin", "tazobactam"},
            "combination",
        ),  # also a brand of piperacillin alone
        ("Percocet", {"oxycodone", "paracetamol"}, "combination"),
        ("amlodipine", {"amlodipine"}, "exact"),
        ("metformin", {"metformin"}, "exact"),
        ("atorvastatin", {"atorvastatin"}, "exact"),
    ],
)
def test_resolves(checker, text: str, drugs: set[str], match: str) -> None:  # type: ignore[no-untyped-def]
    resolution = Resolver(checker.kb).resolve(text)
    assert {d for _, d in resolution.drugs} == drugs
    assert resolution.match == match


@pytest.mark.parametrize(
    ("text", "drug"),
    [
        ("clonazepan", "clonazepam"),
        ("levetiracetem", "levetiracetam"),
        ("gabapentine", "gabapentin"),
        ("sertralin", "sertraline"),
    ],
)
def test_confident_misspellings(checker, text: str, drug: str) -> None:  # type: ignore[no-untyped-def]
    resolution = Resolver(checker.kb).resolve(text)
    assert [d for _, d in resolution.drugs] == [drug]
    assert resolution.match in ("fuzzy", "misspelling") and 0 < resolution.score <= 1


def test_unknown_name_is_reported_with_suggestions(checker) -> None:  # type: ignore[no-untyped-def]
    report = checker.check(["xyzzy", "tramadl zzz qq"])
    assert [u.input for u in report.unrecognized] == ["xyzzy", "tramadl zzz qq"]
    assert not report.medications


def test_weak_fuzzy_match_is_not_used_silently(checker) -> None:  # type: ignore[no-untyped-def]
    resolution = Resolver(checker.kb).resolve("gabbatromine")
    assert not resolution.resolved


@given(st.text(max_size=60))
def test_any_unicode_name_resolves_or_is_reported(checker, text: str) -> None:  # type: ignore[no-untyped-def]
    from pharmcheck.domain import Medication

    if not text.strip():
        return
    report = checker.check([Medication(text)])
    inputs = (
        {m.input for m in report.medications}
        | {u.input for u in report.unrecognized}
        | {s.input for s in report.structures}
    )  # a valid SMILES is screened by structure
    split = any(
        "items: each is read on its own" in note for note in report.notes
    )  # "a 5 mg, b 10 mg"
    assert inputs == {text} or split


NAMES = [
    "gabapentin",
    "levetiracetam",
    "clonazepam",
    "morphine",
    "tramadol",
    "sertraline",
    "Neurontin",
    "Keppra",
    "piracetam",
    "cefepime",
    "lithium",
    "enoxaparin",
    "vitamin d",
    "amlodipine",
    "valproic acid",
    "quetiapine",
]


def _misspelt(draw_name: str, position: int, kind: int, letter: str) -> str:
    i = position % max(1, len(draw_name))
    return [
        draw_name[:i] + draw_name[i + 1 :],
        draw_name[:i] + letter + draw_name[i:],
        draw_name[:i] + letter + draw_name[i + 1 :],
        draw_name,
    ][kind]


@given(
    st.lists(
        st.builds(
            _misspelt,
            st.sampled_from(NAMES),
            st.integers(0, 20),
            st.integers(0, 3),
            st.sampled_from("aeioxyz "),
        )
        | st.text(alphabet="abcdefgilmnoprstuz", min_size=4, max_size=12),
        min_size=1,
        max_size=12,
    )
)
def test_prefetched_fuzzy_candidates_resolve_as_one_at_a_time(kb, texts: list[str]) -> None:  # type: ignore[no-untyped-def]
    from pharmcheck.inputs.resolve import Resolver

    alone, prefetched = Resolver(kb), Resolver(kb)
    prefetched.prefetch(texts)
    assert [prefetched.resolve(t) for t in texts] == [alone.resolve(t) for t in texts]


def test_prefetch_computes_candidates_only_for_texts_that_need_them(kb) -> None:  # type: ignore[no-untyped-def]
    from pharmcheck.inputs.resolve import Resolver

    texts = ["tramadol + gabapentin", "Keppra and clonazepam", "gabapentn", "tramadl", "sertraline"]
    resolver = Resolver(kb)
    resolver.prefetch(texts)
    assert sorted(resolver._candidates) == ["gabapentn", "tramadl"]  # not the combinations
    resolutions = [resolver.resolve(t) for t in texts]
    assert [r.match for r in resolutions[:2]] == ["combination", "combination"]
    assert resolver._candidates == {}  # every one used once, none left to grow a long-lived process
    assert resolutions == [Resolver(kb).resolve(t) for t in texts]


def test_remembered_resolutions_are_bounded(kb, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from pharmcheck.inputs import resolve

    monkeypatch.setattr(resolve, "_CACHE_LIMIT", 3)
    resolver = resolve.Resolver(kb)
    names = NAMES * 2
    assert [resolver.resolve(n) for n in names] == [resolve.Resolver(kb).resolve(n) for n in names]
    assert len(resolver._cache) <= 3


def test_look_alike_near_miss_is_ambiguous_not_the_nearest_drug(checker) -> None:  # type: ignore[no-untyped-def]
    report = checker.check(
        ["trazodol 50 mg nocte"]
    )  # between tramadol and trazodone (ISMP confused names)
    assert not report.medications
    [missing] = report.unrecognized
    assert (missing.input, missing.kind) == ("trazodol 50 mg nocte", "drug")
    assert set(missing.suggestions) == {"tramadol", "trazodone"}
    assert "tramadol" in missing.reason and "trazodone" in missing.reason


@pytest.mark.parametrize(
    ("text", "drug", "match"),
    [
        ("tramadol", "tramadol", "exact"),
        ("Ultram", "tramadol", "brand"),
        ("trazodone", "trazodone", "exact"),
        ("trazadone", "trazodone", "misspelling"),
        ("Klonopin", "clonazepam", "brand"),
    ],
)
def test_look_alike_names_written_exactly_still_resolve(
    checker, text: str, drug: str, match: str
) -> None:  # type: ignore[no-untyped-def]
    resolution = Resolver(checker.kb).resolve(text)
    assert ([d for _, d in resolution.drugs], resolution.match) == ([drug], match)


def _confused_names(kb) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted({kb.drug_name(d) for d in kb.confused_with})


@given(st.data())
def test_a_fuzzy_match_never_lands_on_a_confused_name(checker, data) -> None:  # type: ignore[no-untyped-def]
    name = data.draw(st.sampled_from(_confused_names(checker.kb)))
    text = _misspelt(
        name,
        data.draw(st.integers(0, 20)),
        data.draw(st.integers(0, 2)),
        data.draw(st.sampled_from("aeioxz")),
    )
    resolution = Resolver(checker.kb).resolve(text)
    if resolution.match == "fuzzy":
        assert not set(checker.kb.confused_with) & {d for d, _ in resolution.drugs}
    if resolution.match == "ambiguous" and name in resolution.suggestions:
        assert len(resolution.suggestions) >= 2


def test_confused_pairs_include_tramadol_and_trazodone(kb) -> None:  # type: ignore[no-untyped-def]
    tramadol = next(d for d in kb.confused_with if kb.drug_name(d) == "tramadol")
    assert {kb.drug_name(d) for d in kb.confused_with[tramadol]} == {"trazodone"}
    pair = next(
        p
        for p in kb.confused_names
        if {p["a_drug_id"], p["b_drug_id"]} == {tramadol, *kb.confused_with[tramadol]}
    )
    assert any(r.ref_id == "ISMP23-CDN" for r in pair.references)
