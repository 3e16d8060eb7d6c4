"""FHIR R4 input: a Bundle as the medications and patient of one check.

fhir.resources (the ``fhir`` extra) is imported only when a bundle is read.
"""

from pharmcheck.fhir.bundle import is_bundle, read_bundle

__all__ = ["is_bundle", "read_bundle"]
