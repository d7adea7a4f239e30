"""The experiment export: the rating experiment as an offline jsPsych page and as PsychoPy conditions files.

:func:`export_experiment` writes both, with a README for the experimenter;
:func:`build_jspsych_experiment` and :func:`write_psychopy_conditions` write one version each.
Data saved by the jsPsych page is read back with :func:`varemotion.behavior.read_jspsych`.
"""

from .export import export_experiment
from .jspsych_export import (
    DEFAULT_PROMPT,
    DEFAULT_TITLE,
    build_jspsych_experiment,
    install_jspsych,
    timeline_data,
    timeline_script,
)
from .psychopy_export import (
    CONDITION_COLUMNS,
    conditions_table,
    write_psychopy_conditions,
)

__all__ = [
    "CONDITION_COLUMNS",
    "DEFAULT_PROMPT",
    "DEFAULT_TITLE",
    "build_jspsych_experiment",
    "conditions_table",
    "export_experiment",
    "install_jspsych",
    "timeline_data",
    "timeline_script",
    "write_psychopy_conditions",
]
