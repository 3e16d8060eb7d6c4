"""Condition resolution: a condition as written to a condition of the KB's vocabulary, or why not.

Tried in order: the text as stored (a label, id or synonym), a code (ICD-10-CM, SNOMED CT), the
normalised text (case, punctuation, possessives, a trailing "disease" or "syndrome", and a
parenthesised abbreviation, which must agree with the text before it), then a fuzzy match that
is accepted only when confident, as for drug names. Anything else is unresolved, with
suggestions: a condition is never skipped silently.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from pharmcheck.inputs.normalize import lower_key
from pharmcheck.inputs.resolve import FUZZY_SUGGEST, confident_fuzzy
from pharmcheck.kb.store import KnowledgeBase

_FUZZY_MIN_LENGTH = 4
_SUGGESTIONS = 5
_PARENTHESES = re.compile(r"\(([^()]*)\)")
_POSSESSIVE = re.compile(r"(?<=\w)['’]s\b")
_NON_WORD = re.compile(r"[^\w]+")
_SUFFIX = re.compile(r"\s+(?:disease|syndrome)$")
_ICD10 = re.compile(r"^[A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{1,4})?$")
_SNOMED = re.compile(r"^(?:sctid[:\s]*)?([0-9]{6,18})$", re.IGNORECASE)


@dataclass(frozen=True)
class ConditionResolution:
    """What a condition as written resolved to (``condition_id`` None when it did not), and how."""

    text: str
    condition_id: int | None
    condition: str | None
    match: str  # exact | code | normalized | fuzzy | ambiguous | none
    score: float
    suggestions: tuple[str, ...] = ()
    reason: str = ""

    @property
    def resolved(self) -> bool:
        return self.condition_id is not None

    def note(self) -> str | None:
        """What a reader should know about how the condition was read (fuzzy and code matches)."""
        if self.match == "fuzzy":
            return f"condition {self.text!r} read as {self.condition} (fuzzy match, score {self.score:.2f})"
        if self.match == "code":
            return f"condition {self.text!r} read as {self.condition} (by its code)"
        return None


def condition_key(text: str) -> str:
    """Lower case, possessives and punctuation dropped, spaces collapsed."""
    text = _POSSESSIVE.sub("", lower_key(text))
    return " ".join(_NON_WORD.sub(" ", text).replace("_", " ").split())


def _without_suffix(key: str) -> str:
    stripped = _SUFFIX.sub("", key)
    return stripped or key


def resolve_condition(kb: KnowledgeBase, text: str) -> ConditionResolution:
    """The condition ``text`` names in ``kb``, computed once per KB and text."""
    return kb.memo(("condition", text), _resolve, kb, text)  # type: ignore[no-any-return]


def _resolve(kb: KnowledgeBase, text: str) -> ConditionResolution:
    exact = kb.condition_keys.get(lower_key(text))
    if exact is not None:
        return _found(kb, text, exact, "exact", 1.0)
    system, code = _as_code(text)
    if system:
        by_code = kb.condition_codes.get((system, code))
        if by_code is None:
            return ConditionResolution(text, None, None, "none", 0.0,
                                       reason=f"{system} code {code} is not in the knowledge base's condition codes")
        return _found(kb, text, by_code, "code", 1.0)
    index = _index(kb)
    outside = _PARENTHESES.sub(" ", text)
    inside = [part for part in _PARENTHESES.findall(text) if part.strip()]
    readings = [_by_key(index, kb, condition_key(part)) for part in (outside, *inside) if condition_key(part)]
    if not readings:
        return ConditionResolution(text, None, None, "none", 0.0, reason="empty condition")
    ambiguous = [r for r in readings if len(r) > 1]
    if ambiguous:
        names = tuple(sorted({kb.conditions[c][1] for c in ambiguous[0]}))
        return ConditionResolution(text, None, None, "ambiguous", 0.0, names,
                                   f"ambiguous: names {len(names)} conditions")
    found = {next(iter(r)) for r in readings if r}
    if len(found) > 1:
        names = tuple(sorted(kb.conditions[c][1] for c in found))
        return ConditionResolution(text, None, None, "ambiguous", 0.0, names,
                                   f"ambiguous: the text and its abbreviation name different conditions ({' / '.join(names)})")
    if found and all(readings):
        return _found(kb, text, found.pop(), "normalized", 1.0)
    if found:  # the text or its abbreviation is not in the vocabulary: the known part is not enough
        unknown = [part for part, r in zip((outside, *inside), readings, strict=False) if not r]
        return ConditionResolution(text, None, None, "none", 0.0, (kb.conditions[found.pop()][1],),
                                   f"{unknown[0].strip()!r} is not a condition in the knowledge base")
    return _fuzzy(kb, text, _without_suffix(condition_key(outside)))


def _found(kb: KnowledgeBase, text: str, condition_id: int, match: str, score: float) -> ConditionResolution:
    return ConditionResolution(text, condition_id, kb.conditions[condition_id][1], match, score)


def _as_code(text: str) -> tuple[str, str]:
    """(code system, code) when the text is written as an ICD-10-CM or SNOMED CT code, else ("", "")."""
    code = text.strip().upper()
    if _ICD10.match(code):
        return "ICD-10-CM", code
    snomed = _SNOMED.match(text.strip())
    return ("SNOMED CT", snomed.group(1)) if snomed else ("", "")


Index = tuple[dict[str, set[int]], dict[str, set[int]]]


def _index(kb: KnowledgeBase) -> Index:
    """Every stored condition name by its normalised key, and by that key without a suffix."""
    def build() -> Index:
        full: dict[str, set[int]] = defaultdict(set)
        stripped: dict[str, set[int]] = defaultdict(set)
        for stored, cid in kb.condition_keys.items():
            key = condition_key(_PARENTHESES.sub(" ", stored))
            if key:
                full[key].add(cid)
                stripped[_without_suffix(key)].add(cid)
        return dict(full), dict(stripped)

    return kb.memo(("condition-index",), build)  # type: ignore[no-any-return]


def _by_key(index: Index, kb: KnowledgeBase, key: str) -> set[int]:
    full, stripped = index
    return full.get(key) or stripped.get(_without_suffix(key)) or set()


def _fuzzy_names(kb: KnowledgeBase) -> dict[str, set[int]]:
    """Every normalised key, with and without its suffix, and the conditions it names."""
    def build() -> dict[str, set[int]]:
        names: dict[str, set[int]] = defaultdict(set)
        for keys in _index(kb):
            for key, ids in keys.items():
                names[key] |= ids
        return dict(names)

    return kb.memo(("condition-fuzzy-names",), build)  # type: ignore[no-any-return]


def _fuzzy(kb: KnowledgeBase, text: str, key: str) -> ConditionResolution:
    from rapidfuzz import fuzz, process

    reason = "not a condition in the knowledge base's vocabulary: condition rules were not checked for it"
    if len(key) < _FUZZY_MIN_LENGTH:
        return ConditionResolution(text, None, None, "none", 0.0, reason=reason)
    names = _fuzzy_names(kb)
    candidates = process.extract(key, list(names), scorer=fuzz.ratio, limit=8, score_cutoff=FUZZY_SUGGEST)
    suggestions = tuple(dict.fromkeys(kb.conditions[c][1] for k, _, _ in candidates for c in sorted(names[k])))
    if candidates:
        best, score, _ = candidates[0]
        rivals = {c for k, s, _ in candidates if s == score for c in names[k]}
        if len(rivals) == 1 and confident_fuzzy(key, best, score):
            return _found(kb, text, rivals.pop(), "fuzzy", score / 100)
    return ConditionResolution(text, None, None, "none", 0.0, suggestions[:_SUGGESTIONS], reason)


def search_conditions(kb: KnowledgeBase, text: str = "") -> list[dict[str, object]]:
    """The condition vocabulary, or the conditions whose label, id, synonyms or codes contain
    ``text`` (normalised as a condition is), the condition ``text`` resolves to first."""
    vocabulary = kb.condition_vocabulary()
    if not text.strip():
        return vocabulary
    key, code = condition_key(text), text.strip().upper()

    def matches(entry: dict[str, object]) -> bool:
        names = [entry["condition"], entry["label"], *entry["synonyms"]]  # type: ignore[misc]
        return (bool(key) and any(key in condition_key(str(n)) for n in names)) or any(
            str(c["code"]).upper().startswith(code) for c in entry["codes"])  # type: ignore[attr-defined]

    found = resolve_condition(kb, text)
    first = [e for e in vocabulary if found.resolved and e["condition"] == kb.conditions[found.condition_id][0]]
    return first + [e for e in vocabulary if matches(e) and e not in first]
