"""Read the user's rating files into the canonical trial table (checked; nothing written on error).

Files without an is_train column get the design's training rule (the held-out stimuli never train).
Intensity ratings become trials by the configured rule (behavior.ratings.intensity).

jsPsych data, the collection server's database and JATOS exports also yield the catch-trial
answers; participants whose catch accuracy is below ``behavior.ratings.min_catch_accuracy`` are
left out of the trial table.
"""

from varemotion.atomic import write_atomically
from varemotion.behavior import write_trials
from varemotion.behavior.catch_answers import exclude_inattentive, participant_table
from varemotion.behavior.holdout import read_holdout
from varemotion.behavior.ingest import TrainRule
from varemotion.behavior.intensity import IntensityRule
from varemotion.behavior.ratings import read_ratings
from varemotion.logs import log_to_file
from varemotion.stimuli import read_manifest


def main(input, params, output):
    stimulus_ids = read_manifest(input["manifest"])["stimulus_id"]
    rule = TrainRule(frozenset(read_holdout(input["holdout"])["stimulus_id"]), params["train_fraction"], params["seed"])
    trials, answers = read_ratings(list(input["ratings"]), params["format"], params["emotions"], stimulus_ids,
                                   column_map=params["column_map"] or None, choices=params["choices"],
                                   train_rule=rule, non_emotion_answers=params["non_emotion_answers"],
                                   intensity=IntensityRule(**params["intensity"]))
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
