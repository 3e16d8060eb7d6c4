"""Name normalisation shared by the KB build and run-time resolution.

Two keys are stored for every name:

* ``lower_key``: case-folded, unicode-normalised, whitespace collapsed. An exact
  match on it is an exact generic, brand, synonym or salt match.
* ``loose_key``: additionally drops punctuation, salt words (hydrochloride,
  sulfate, sodium ...) and formulation words (ER, tablets ...). A match on it
  is reported as a *normalised* match.
"""

from __future__ import annotations

import re
import unicodedata

SALT_WORDS = frozenset(
    """
    hydrochloride hcl dihydrochloride hydrobromide hbr sulfate sulphate bisulfate
    sodium disodium semisodium potassium calcium magnesium maleate mesylate mesilate
    tartrate bitartrate citrate phosphate diphosphate acetate besylate besilate fumarate
    succinate hemifumarate hemisuccinate lactate gluconate pamoate embonate tosylate xinafoate
    napsylate napadisilate oxalate malate monohydrate dihydrate trihydrate hemihydrate
    sesquihydrate anhydrous hyclate dimesylate bromide chloride edisylate
    """.split()
)
# Words that describe a formulation, not a substance.
FORMULATION_WORDS = frozenset(
    """
    er sr xr xl cr mr la ir dr ec odt tab tabs tablet tablets cap caps capsule capsules
    injection inj oral solution suspension syrup elixir patch patches transdermal
    extended release modified immediate delayed prolonged retard chrono
    """.split()
)
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
_SPACES = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def lower_key(text: str) -> str:
    """Case-folded, NFKC-normalised text with control characters removed and spaces collapsed."""
    text = unicodedata.normalize("NFKC", text)
    text = _CONTROL.sub(" ", text)
    return _SPACES.sub(" ", text).strip().casefold()


def loose_key(text: str) -> str:
    """``lower_key`` without punctuation, salt words or formulation words.

    Falls back to the punctuation-free text when stripping would leave nothing
    (a drug actually called "sodium chloride" keeps its name).
    """
    words = _NON_WORD.sub(" ", lower_key(text)).replace("_", " ").split()
    kept = [w for w in words if w not in SALT_WORDS and w not in FORMULATION_WORDS]
    return " ".join(kept or words)
