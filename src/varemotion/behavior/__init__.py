"""Behaviour: the trial design, simulated participants, and readers of real ratings.

All of them produce or check the canonical trial table.

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
from .design import DESIGN_COLUMNS, DesignSettings, design_summary, design_trials
from .jatos import read_jatos
from .jspsych import JSPSYCH_FIELDS, read_jspsych
from .sqlite import read_sqlite
from .simulation import ObserverPopulation, choice_probabilities, sample_observers, simulate_trials
from .trials import TRIAL_COLUMNS, validate_trials, write_trials

__all__ = [
    "DESIGN_COLUMNS",
    "FORMATS",
    "JSPSYCH_FIELDS",
    "TRIAL_COLUMNS",
    "VOTE_SUBJECT_PREFIX",
    "DesignSettings",
    "ObserverPopulation",
    "choice_probabilities",
    "design_summary",
    "design_trials",
    "ingest",
    "read_jatos",
    "read_jspsych",
    "read_sqlite",
    "read_trial_table",
    "read_vote_counts",
    "sample_observers",
    "simulate_trials",
    "validate_trials",
    "write_trials",
]
