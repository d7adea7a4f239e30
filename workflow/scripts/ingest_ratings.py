"""Read the user's rating files into the canonical trial table (checked; nothing written on error).

Files without an is_train column get the design's training rule (the held-out stimuli never train).

jsPsych data also yield the catch-trial answers; participants whose catch accuracy is below
``behavior.ratings.min_catch_accuracy`` are left out of the trial table.
"""

import pandas as pd

from varemotion.atomic import write_atomically
from varemotion.behavior import ingest, write_trials
from varemotion.behavior.holdout import read_holdout
from varemotion.behavior.ingest import TrainRule
from varemotion.behavior.catch_answers import (
    CATCH_ANSWER_COLUMNS,
    all_catch_answers,
    exclude_inattentive,
    participant_table,
)
from varemotion.logs import log_to_file
from varemotion.stimuli import read_manifest


def main(input, params, output):
    stimulus_ids = read_manifest(input["manifest"])["stimulus_id"]
    jspsych = params["format"] == "jspsych"
    options = {"choices": params["choices"]} if jspsych and params["choices"] else {}
    rule = TrainRule(frozenset(read_holdout(input["holdout"])["stimulus_id"]), params["train_fraction"], params["seed"])
    trials = ingest(list(input["ratings"]), params["format"], params["emotions"], stimulus_ids,
                    column_map=params["column_map"] or None, train_rule=rule, **options)
    answers = (all_catch_answers(input["ratings"], params["emotions"], params["choices"]) if jspsych
               else pd.DataFrame(columns=CATCH_ANSWER_COLUMNS))
    trials, excluded = exclude_inattentive(trials, answers, params["min_catch_accuracy"])
    if excluded:
        print(f"excluded for catch accuracy below {params['min_catch_accuracy']}: {', '.join(excluded)}")
    if trials.empty:
        raise ValueError("every participant was excluded: lower behavior.ratings.min_catch_accuracy")
    print(f"{len(trials)} trials of {trials['subject_id'].nunique()} subjects on {trials['stimulus_id'].nunique()} stimuli")
    participants = participant_table(trials, answers, excluded)
    write_atomically(output["catch"], lambda h: answers.to_csv(h, index=False))
    write_atomically(output["participants"], lambda h: participants.to_csv(h, index=False, float_format="%.4g"))
    write_trials(trials, output["trials"])


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output)
