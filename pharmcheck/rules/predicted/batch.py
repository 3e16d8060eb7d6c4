"""PC8xx run per patient, on the patients who gave structures that match no KB drug."""

from __future__ import annotations

import numpy as np

from pharmcheck.rules.ward import Ward, patient_filter


@patient_filter("PC801", "PC802")
def with_structures(ward: Ward) -> np.ndarray:
    return ward.has_structures
