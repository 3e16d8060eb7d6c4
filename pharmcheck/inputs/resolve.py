"""Name resolution: exact generic, then brand/synonym/salt, then the normalised name, then fuzzy.

A fuzzy match is used only when it is confident (see :func:`_confident`);
otherwise the input is returned as unresolved with its closest suggestions, so
a misspelling is never silently turned into the wrong drug.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pharmcheck.inputs.normalize import loose_key, lower_key
from pharmcheck.kb.store import KnowledgeBase, NameHit

FUZZY_ACCEPT = 90.0
FUZZY_SUGGEST = 70.0
_COMBINATION_SEPARATORS = re.compile(r"\s*(?:/|\+|&|,|\band\b|\bwith\b)\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Resolution:
    """The drugs a name resolves to (several for a combination product) and how."""

    drugs: tuple[tuple[int, str], ...]
    match: str
    score: float
    suggestions: tuple[str, ...] = ()
    reason: str = ""

    @property
    def resolved(self) -> bool:
        return bool(self.drugs)


class Resolver:
    """Resolves names against one KB, caching each distinct text (batch screening relies on it)."""

    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        self._cache: dict[str, Resolution] = {}

    def resolve(self, text: str) -> Resolution:
        key = lower_key(text)
        if key not in self._cache:
            self._cache[key] = self._resolve(key)
        return self._cache[key]

    def _resolve(self, key: str) -> Resolution:
        if not key or not any(ch.isalnum() for ch in key):
            return Resolution((), "none", 0.0, reason="empty name")
        hits = self.kb.names_by_lower_key(key)
        if hits:
            return self._from_hits(hits, exact=True)
        loose = loose_key(key)
        hits = self.kb.names_by_loose_key(loose) if loose else []
        if hits:
            return self._from_hits(hits, exact=False)
        parts = [p for p in _COMBINATION_SEPARATORS.split(key) if p]
        if len(parts) > 1:
            resolved = [self.resolve(part) for part in parts]
            if all(r.resolved and r.match != "fuzzy" for r in resolved):
                drugs = tuple(dict.fromkeys(d for r in resolved for d in r.drugs))
                return Resolution(drugs, "combination", 1.0)
        return self._fuzzy(loose or key)

    def _from_hits(self, hits: list[NameHit], exact: bool) -> Resolution:
        combination = [h for h in hits if h.kind == "combination"]
        if combination and len({h.drug_id for h in combination}) > 1:
            drugs = tuple(dict.fromkeys((h.drug_id, h.drug) for h in combination))
            return Resolution(drugs, "combination", 1.0)
        distinct = list(dict.fromkeys((h.drug_id, h.drug) for h in hits))
        if len(distinct) > 1:
            # One name for several drugs: prefer the generic reading, else ask.
            generic = [h for h in hits if h.kind == "generic"]
            if len({h.drug_id for h in generic}) == 1:
                hits = generic
            else:
                names = tuple(sorted({d for _, d in distinct}))
                return Resolution((), "ambiguous", 0.0, names, f"ambiguous: names {len(names)} drugs")
        best = hits[0]
        if not exact:
            return Resolution(((best.drug_id, best.drug),), "normalized", 1.0)
        match = "exact" if best.kind == "generic" else best.kind
        return Resolution(((best.drug_id, best.drug),), match, 1.0)

    def _fuzzy(self, key: str) -> Resolution:
        from rapidfuzz import fuzz, process

        if len(key) < 4:
            return Resolution((), "none", 0.0, reason="no drug of that name in the knowledge base")
        keys, drug_ids = self.kb.fuzzy_choices()
        candidates = process.extract(key, keys, scorer=fuzz.ratio, limit=8, score_cutoff=FUZZY_SUGGEST)
        suggestions = tuple(dict.fromkeys(self.kb.drug_name(drug_ids[i][0]) for _, _, i in candidates))[:5]
        if candidates:
            text, score, index = candidates[0]
            rivals = {drug_ids[i][0] for _, s, i in candidates if s == score}
            if len(rivals) == 1 and len(drug_ids[index]) == 1 and _confident(key, text, score):
                drug_id = drug_ids[index][0]
                return Resolution(((drug_id, self.kb.drug_name(drug_id)),), "fuzzy", score / 100, suggestions)
        return Resolution((), "none", 0.0, suggestions, "no drug of that name in the knowledge base")


def _confident(query: str, candidate: str, score: float) -> bool:
    """Accept a fuzzy match only when it is one slip away from a real name."""
    from rapidfuzz.distance import OSA

    distance = OSA.distance(query, candidate)
    return score >= FUZZY_ACCEPT or (distance <= 1 and len(query) >= 5) or (distance <= 2 and len(query) >= 8)
