"""Human ratings: readers that turn users' files into the canonical trial table, and its checks.

Every reader returns a table with the columns :data:`TRIAL_COLUMNS` and raises
:class:`~varemotion.data.DataError` (file, line, column, value, what was expected) for bad input.
"""

from .ingest import (
    FORMATS,
    VOTE_SUBJECT_PREFIX,
    ingest,
    read_trial_table,
    read_vote_counts,
)
from .jspsych import JSPSYCH_FIELDS, read_jspsych
from .trials import TRIAL_COLUMNS, validate_trials, write_trials

__all__ = [
    "FORMATS",
    "JSPSYCH_FIELDS",
    "TRIAL_COLUMNS",
    "VOTE_SUBJECT_PREFIX",
    "ingest",
    "read_jspsych",
    "read_trial_table",
    "read_vote_counts",
    "validate_trials",
    "write_trials",
]
