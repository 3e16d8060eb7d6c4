"""The rule registry: one module per family, each rule under a stable code.

Importing this package registers every rule; ``REGISTRY`` maps code to rule.
"""

from pharmcheck.rules import (
    causative,
    combination,
    condition,
    dose,
    duplicate,
    organ,
    predicted,
    time,
)
from pharmcheck.rules.base import REGISTRY, Example, Rule, select_rules

FAMILIES = (causative, combination, duplicate, dose, organ, time, condition, predicted)

__all__ = ["FAMILIES", "REGISTRY", "Example", "Rule", "select_rules"]
