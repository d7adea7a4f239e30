"""Rated face sets from outside: a folder of images and a stimulus table as the study's stimulus set.

:func:`read_stimulus_table` checks the table against the folder; :func:`run_external_stimulus_set`
converts and scores the images and writes the same files as the generated set
(``results/stimuli/``), so that every later stage reads it unchanged.
"""

from .stimulus_set import external_stimuli, run_external_stimulus_set
from .table import StimulusTable, read_stimulus_table

__all__ = ["StimulusTable", "external_stimuli", "read_stimulus_table", "run_external_stimulus_set"]
