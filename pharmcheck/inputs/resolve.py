"""Name resolution: exact generic, then brand/synonym/salt, then the normalised name, then fuzzy.

A fuzzy match is used only when it is confident (see :func:`confident_fuzzy`) and when the drug
it lands on is not one of a published pair of confused (look-alike, sound-alike) names: then
the input is ambiguous between the two. Otherwise the input is returned as unresolved with
its closest suggestions, so a misspelling is never silently turned into the wrong drug.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.util import find_spec

from pharmcheck.kb.store import KnowledgeBase, NameHit
from pharmcheck.names import loose_key, lower_key

_NUMBERED = (
    "no product of that name and number ({}) in the knowledge base: its ingredients are not known"
)
FUZZY_ACCEPT = 90.0
FUZZY_SUGGEST = 70.0
_FUZZY_MIN_LENGTH = 4
_CANDIDATES = 8
_CACHE_LIMIT = 500_000  # distinct texts remembered, as the KB's memo bounds its own
_PREFETCH_ROWS = 128  # per cdist call: a 22 MB score matrix, under 32 MB so malloc reuses it
# "Tylenol #3": a product's number, which names its strength of codeine, not another product
_PRODUCT_NUMBER = re.compile(r"\s*#\s*\d+$")
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
        self._lock = threading.Lock()  # a Checker's resolver serves every thread that checks
        self._cache: dict[str, Resolution] = {}
        self._candidates: dict[
            str, list[tuple[str, float, int]]
        ] = {}  # from prefetch(), each used once

    def prefetch(self, texts: Iterable[str]) -> None:
        """Fuzzy candidates for every text that would need them, computed in one pass on all
        cores: the same candidates in the same order as one text at a time, ten times faster
        for the hundreds of misspellings of a ward. Texts that resolve before that are cached."""
        keys = set()
        for key in {lower_key(text) for text in texts} - self._cache.keys():
            found = self._before_fuzzy(key)
            if isinstance(found, Resolution):
                self._remember(key, found)
            elif len(found) >= _FUZZY_MIN_LENGTH and found not in self._candidates:
                keys.add(found)
        if not keys or find_spec("numpy") is None:
            return  # the bulk pass needs numpy (batch extra); resolve() finds the same one by one
        import numpy as np
        from rapidfuzz import fuzz, process

        with self._lock:
            if len(self._candidates) + len(keys) > _CACHE_LIMIT:
                self._candidates.clear()  # left by a caller that never resolved what it prefetched
        queries = sorted(keys)
        choices, _ = self.kb.fuzzy_choices()
        for start in range(0, len(queries), _PREFETCH_ROWS):
            chunk = queries[start : start + _PREFETCH_ROWS]
            scores = process.cdist(
                chunk,
                choices,
                scorer=fuzz.ratio,
                score_cutoff=FUZZY_SUGGEST,
                dtype=np.float64,
                workers=-1,
            )
            for query, row in zip(chunk, scores, strict=True):
                close = np.flatnonzero(row >= FUZZY_SUGGEST)
                best = close[np.lexsort((close, -row[close]))][
                    :_CANDIDATES
                ]  # as process.extract ranks them
                found_candidates = [(choices[i], float(row[i]), int(i)) for i in best.tolist()]
                with self._lock:
                    self._candidates[query] = found_candidates

    def resolve(self, text: str) -> Resolution:
        key = lower_key(text)
        cached = self._cache.get(key)
        if cached is None:
            found = self._before_fuzzy(key)
            cached = self._remember(
                key, found if isinstance(found, Resolution) else self._fuzzy(found)
            )
        return cached

    def _remember(self, key: str, resolution: Resolution) -> Resolution:
        """The resolution stored for ``key``: the first one when two threads resolved it."""
        with self._lock:
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()  # a long-lived embedding process must not grow without bound
            return self._cache.setdefault(key, resolution)

    def _before_fuzzy(self, key: str) -> Resolution | str:
        """The resolution by name (exact, normalised, or as a combination of names), else the key
        to look up fuzzily: one decision for :meth:`resolve` and :meth:`prefetch`."""
        if not key or not any(ch.isalnum() for ch in key):
            return Resolution((), "none", 0.0, reason="empty name")
        hits = self._names(key, loose=False)
        if hits:
            return self._from_hits(hits, exact=True)
        loose = loose_key(key)
        hits = self._names(loose, loose=True) if loose else []
        if hits:
            return self._from_hits(hits, exact=False)
        numbered = _PRODUCT_NUMBER.search(key)
        if numbered is not None:
            # "Tylenol with codeine #3" is the combination; "Tylenol #3" is not plain Tylenol
            found = self.resolve(key[: numbered.start()])
            if found.match == "combination":
                return found
            names = tuple(d for _, d in found.drugs) or found.suggestions
            return Resolution((), "none", 0.0, names, _NUMBERED.format(numbered[0].strip()))
        parts = [p for p in _COMBINATION_SEPARATORS.split(key) if p]
        if len(parts) > 1:
            resolved = [self.resolve(part) for part in parts]
            if all(r.resolved and r.match != "fuzzy" for r in resolved):
                drugs = tuple(dict.fromkeys(d for r in resolved for d in r.drugs))
                return Resolution(drugs, "combination", 1.0)
        return loose or key

    def _names(self, key: str, loose: bool) -> list[NameHit]:
        """The KB names with this lower (or loose) key, each key queried once per KB."""
        lookup = self.kb.names_by_loose_key if loose else self.kb.names_by_lower_key
        return self.kb.memo(("names", loose, key), lookup, key)

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
                return Resolution(
                    (), "ambiguous", 0.0, names, f"ambiguous: names {len(names)} drugs"
                )
        best = hits[0]
        if not exact:
            return Resolution(((best.drug_id, best.drug),), "normalized", 1.0)
        match = "exact" if best.kind == "generic" else best.kind
        return Resolution(((best.drug_id, best.drug),), match, 1.0)

    def _fuzzy(self, key: str) -> Resolution:
        from rapidfuzz import fuzz, process

        if len(key) < _FUZZY_MIN_LENGTH:
            return Resolution((), "none", 0.0, reason="no drug of that name in the knowledge base")
        keys, drug_ids = self.kb.fuzzy_choices()
        with self._lock:
            candidates = self._candidates.pop(key, None)  # used once: the resolution is cached
        if candidates is None:
            candidates = process.extract(
                key, keys, scorer=fuzz.ratio, limit=_CANDIDATES, score_cutoff=FUZZY_SUGGEST
            )
        suggestions = tuple(
            dict.fromkeys(self.kb.drug_name(drug_ids[i][0]) for _, _, i in candidates)
        )[:5]
        if candidates:
            text, score, index = candidates[0]
            rivals = {drug_ids[i][0] for _, s, i in candidates if s == score}
            if len(rivals) == 1 and len(drug_ids[index]) == 1 and confident_fuzzy(key, text, score):
                drug_id = drug_ids[index][0]
                confused = self.kb.confused_with.get(drug_id)
                if confused:
                    return self._look_alike(drug_id, confused)
                return Resolution(
                    ((drug_id, self.kb.drug_name(drug_id)),), "fuzzy", score / 100, suggestions
                )
        return Resolution(
            (), "none", 0.0, suggestions, "no drug of that name in the knowledge base"
        )

    def _look_alike(self, drug_id: int, confused: set[int]) -> Resolution:
        """A near miss of one member of a confused-name pair could be either: ask, never guess."""
        names = (self.kb.drug_name(drug_id), *sorted(self.kb.drug_name(d) for d in confused))
        others = " and ".join(names[1:])
        return Resolution(
            (),
            "ambiguous",
            0.0,
            names,
            f"ambiguous: close to {names[0]}, whose name is confused with {others} "
            "(look-alike, sound-alike names: ISMP); not checked",
        )


def confident_fuzzy(query: str, candidate: str, score: float) -> bool:
    """Accept a fuzzy match only when it is one slip away from a real name."""
    from rapidfuzz.distance import OSA

    distance = OSA.distance(query, candidate)
    return (
        score >= FUZZY_ACCEPT
        or (distance <= 1 and len(query) >= 5)
        or (distance <= 2 and len(query) >= 8)
    )
