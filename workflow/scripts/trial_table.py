"""The trial table every later stage reads: the configured source's trials, checked again."""

from varemotion.behavior import read_trial_table, write_trials
from varemotion.logs import log_to_file
from varemotion.stimuli import read_manifest


def main(input, params, output):
    stimulus_ids = read_manifest(input["manifest"])["stimulus_id"]
    trials = read_trial_table(input["trials"], params["emotions"], stimulus_ids)
    write_trials(trials, output[0])


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output)
