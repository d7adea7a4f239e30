"""The experiment export: the rating experiment as a jsPsych page, a JATOS study and PsychoPy conditions files.

:func:`export_experiment` writes all three, with a README for the experimenter;
:func:`build_jspsych_experiment`, :func:`build_jatos_archive` and :func:`write_psychopy_conditions`
write one version each. The jsPsych page runs offline or against ``varemotion serve``
(:mod:`varemotion.collection`). Data saved by the page is read back with
:func:`varemotion.behavior.read_jspsych`, the server's database with
:func:`varemotion.behavior.read_sqlite` and JATOS exports with :func:`varemotion.behavior.read_jatos`.
"""

from .export import export_experiment
from .jatos_export import build_jatos_archive, study_properties
from .jspsych_export import (
    DEFAULT_PROMPT,
    DEFAULT_TITLE,
    build_jspsych_experiment,
    install_jspsych,
    read_timeline,
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
    "build_jatos_archive",
    "build_jspsych_experiment",
    "conditions_table",
    "export_experiment",
    "install_jspsych",
    "read_timeline",
    "study_properties",
    "timeline_data",
    "timeline_script",
    "write_psychopy_conditions",
]
