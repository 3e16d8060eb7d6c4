"""Is this medication text a SMILES? A cheap guess that never imports RDKit.

A medication list is names and sig strings; a structure in it is rare. The check path
must not pay for RDKit (a second or so of import) to find that out, so this module
decides with regular expressions alone. It is deliberately strict: a text that passes
is then parsed by :mod:`pharmcheck.chem`, and one that fails is treated as a name.

Why drug names fail: outside square brackets a SMILES may only use the organic-subset
atoms (B C N O P S F Cl Br I and aromatic b c n o p s), bonds, branches, ring-closure
digits and a few symbols. Almost every drug name has a letter outside that set
("tramadol": r, a, m, d, l), and a sig string has spaces ("Neurontin 600 tid").
"""

from __future__ import annotations

import re
from collections import Counter

#: Longest text treated as a possible SMILES, and the longest :mod:`pharmcheck.chem` parses: real
#: drug structures are far smaller; the cap keeps a pasted document from tying up the parser.
MAX_CHARS = 200_000
#: Most heavy atoms a structure may have. The largest small-molecule drugs have a few hundred
#: (vancomycin 101, semaglutide about 290); RDKit's writers recurse per atom and crash the
#: process (SIGSEGV) on chains of some 20,000, so nothing larger reaches them.
MAX_ATOMS = 1_000

_BRACKET = re.compile(r"\[[^\[\]]{1,20}\]")
_SMILES_OUTSIDE = re.compile(r"^(?:Cl|Br|[BCNOSPFIbcnosp0-9()=#$:/\\.+\-%@*])+$")
_STRUCTURE_MARK = re.compile(r"[0-9\[=#]")
_RING_LABEL = re.compile(r"%\d\d|\d")
_SPACE = re.compile(r"\s")
_ATOM = re.compile(r"\[[^\[\]]*\]|Cl|Br|[BCNOSPFI]|[bcnosp]")


def atom_count(smiles: str) -> int:
    """The atoms a SMILES names (bracket atoms and the organic subset), counted without parsing."""
    return len(_ATOM.findall(smiles))


def looks_like_smiles(text: object) -> bool:
    """True when ``text`` could be a SMILES and is unlikely to be a drug name.

    Checks, in order: one token (no whitespace), not InChI, only SMILES characters
    outside brackets, a structural mark (ring digit, bracket atom, double or triple
    bond) or at least six characters, balanced parentheses, and every ring-closure
    label used an even number of times ("C1CC" opens ring 1 and never closes it).
    """
    if not isinstance(text, str):
        return False
    candidate = text.strip()
    if not candidate or len(candidate) > MAX_CHARS or _SPACE.search(candidate):
        return False
    if atom_count(candidate) > MAX_ATOMS:
        return False
    if candidate.startswith("InChI="):
        return False
    outside = _BRACKET.sub("", candidate)
    if "[" in outside or "]" in outside:
        return False
    if outside and not _SMILES_OUTSIDE.match(outside):
        return False
    if not (_STRUCTURE_MARK.search(candidate) or len(candidate) >= 6):
        return False
    depth = 0
    for char in outside:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    if depth:
        return False
    labels = Counter(_RING_LABEL.findall(outside))
    return all(count % 2 == 0 for count in labels.values())
