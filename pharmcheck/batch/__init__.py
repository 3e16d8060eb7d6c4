"""Batch screening of ward lists: one table of medications, one of patients, findings out.

``screen`` (and ``screen_frame`` for a DataFrame) screens every patient at once and gives each
patient exactly the findings ``pharmcheck check`` gives; ``read_table`` reads CSV, TSV, Excel
and Parquet. See ``screening.py`` for how the volume is handled, ``pool.py`` for screening on
every core (``screen_in_pool``) and ``dask_screen.py`` beyond one machine.
"""

from pharmcheck.batch.output import OUT_COLUMNS, FindingRows
from pharmcheck.batch.results import ScreenResult
from pharmcheck.batch.screening import screen, screen_frame
from pharmcheck.batch.tables import MED_COLUMNS, PATIENT_COLUMNS, normalise_columns, read_table

__all__ = [
    "MED_COLUMNS",
    "OUT_COLUMNS",
    "PATIENT_COLUMNS",
    "FindingRows",
    "ScreenResult",
    "normalise_columns",
    "read_table",
    "screen",
    "screen_frame",
]
