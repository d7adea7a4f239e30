"""Read the user's rating files into the canonical trial table (checked; nothing written on error)."""

from varemotion.behavior import ingest, write_trials
from varemotion.logs import log_to_file
from varemotion.stimuli import read_manifest


def main(input, params, output):
    stimulus_ids = read_manifest(input["manifest"])["stimulus_id"]
    options = {"choices": params["choices"]} if params["format"] == "jspsych" and params["choices"] else {}
    trials = ingest(list(input["ratings"]), params["format"], params["emotions"], stimulus_ids,
                    column_map=params["column_map"] or None, **options)
    print(f"{len(trials)} trials of {trials['subject_id'].nunique()} subjects on {trials['stimulus_id'].nunique()} stimuli")
    write_trials(trials, output[0])


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output)
