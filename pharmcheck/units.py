"""Milligrams per unit of mass: one table for the sig reader and the KB (whose sources keep a
label's unit, such as piracetam in g), so a dose and its limit are compared in the same mg."""

from __future__ import annotations

MG_PER_UNIT = {"mg": 1.0, "g": 1000.0, "mcg": 0.001}
