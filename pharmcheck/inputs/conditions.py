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
from typing import Any

from pharmcheck.inputs.resolve import FUZZY_SUGGEST, confident_fuzzy
from pharmcheck.kb.store import KnowledgeBase
from pharmcheck.names import lower_key

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
            return (
                f"condition {self.text!r} read as {self.condition} "
                f"(fuzzy match, score {self.score:.2f})"
            )
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
    return kb.memo(("condition", text), _resolve, kb, text)


def _resolve(kb: KnowledgeBase, text: str) -> ConditionResolution:
    exact = kb.condition_keys.get(lower_key(text))
    if exact is not None:
        return _found(kb, text, exact, "exact", 1.0)
    system, code = _as_code(text)
    if system:
        by_code = kb.condition_codes.get((system, code))
        if by_code is None:
            reason = f"{system} code {code} is not in the knowledge base's condition codes"
            return _missing(text, reason)
        return _found(kb, text, by_code, "code", 1.0)
    outside = _PARENTHESES.sub(" ", text)
    parts = [p for p in (outside, *_PARENTHESES.findall(text)) if condition_key(p)]
    if not parts:
        return _missing(text, "empty condition")
    readings = [_by_key(_index(kb), condition_key(part)) for part in parts]
    found = {c for r in readings for c in r}
    if len(found) > 1:  # one name for several conditions, or a text and abbreviation that disagree
        names = tuple(sorted(kb.conditions[c][1] for c in found))
        return _missing(text, f"ambiguous: could be {' or '.join(names)}", names, "ambiguous")
    if found and all(readings):
        return _found(kb, text, found.pop(), "normalized", 1.0)
    if found:  # a part unknown ("epilepsy (ruled out)"): the known part alone is not the condition
        unknown = next(part for part, r in zip(parts, readings, strict=True) if not r)
        label = kb.conditions[found.pop()][1]
        reason = f"{unknown.strip()!r} is not a condition in the knowledge base"
        return _missing(text, reason, (label,))
    return _fuzzy(kb, text, _without_suffix(condition_key(outside)))


def _found(kb: KnowledgeBase, text: str, cid: int, match: str, score: float) -> ConditionResolution:
    return ConditionResolution(text, cid, kb.conditions[cid][1], match, score)


def _missing(
    text: str, reason: str, suggestions: tuple[str, ...] = (), match: str = "none"
) -> ConditionResolution:
    return ConditionResolution(text, None, None, match, 0.0, suggestions, reason)


def _as_code(text: str) -> tuple[str, str]:
    """(code system, code) when the text is written as an ICD-10-CM or SNOMED CT code, else
    ("", "")."""
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

    return kb.memo(("condition-index",), build)


def _by_key(index: Index, key: str) -> set[int]:
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

    return kb.memo(("condition-fuzzy-names",), build)


def _fuzzy(kb: KnowledgeBase, text: str, key: str) -> ConditionResolution:
    from rapidfuzz import fuzz, process

    reason = (
        "not a condition in the knowledge base's vocabulary: condition rules were not "
        "checked for it"
    )
    if len(key) < _FUZZY_MIN_LENGTH:
        return _missing(text, reason)
    names = _fuzzy_names(kb)
    candidates = process.extract(
        key, list(names), scorer=fuzz.ratio, limit=8, score_cutoff=FUZZY_SUGGEST
    )
    labels = (kb.conditions[c][1] for name, _, _ in candidates for c in sorted(names[name]))
    suggestions = tuple(dict.fromkeys(labels))[:_SUGGESTIONS]
    if candidates:
        best, score, _ = candidates[0]
        rivals = {c for name, s, _ in candidates if s == score for c in names[name]}
        if len(rivals) == 1 and confident_fuzzy(key, best, score):
            return _found(kb, text, rivals.pop(), "fuzzy", score / 100)
    return _missing(text, reason, suggestions)


def search_conditions(kb: KnowledgeBase, text: str = "") -> list[dict[str, Any]]:
    """The condition vocabulary, or the conditions whose label, id, synonyms or codes contain
    ``text`` (normalised as a condition is), the condition ``text`` resolves to first."""
    vocabulary = kb.condition_vocabulary()
    if not text.strip():
        return vocabulary
    key, code = condition_key(text), text.strip().upper()

    def matches(entry: dict[str, Any]) -> bool:
        names = [entry["condition"], entry["label"], *entry["synonyms"]]
        return (bool(key) and any(key in condition_key(str(n)) for n in names)) or any(
            str(c["code"]).upper().startswith(code) for c in entry["codes"]
        )

    found = resolve_condition(kb, text)
    name = kb.conditions[found.condition_id][0] if found.condition_id is not None else None
    first = [e for e in vocabulary if e["condition"] == name]
    return first + [e for e in vocabulary if matches(e) and e not in first]
