"""The statistics stage: per-image table, correlations, boundary vs control, outcomes, mixed model."""

from varemotion.behavior import read_trial_table
from varemotion.behavior.catch_answers import read_answers_table
from varemotion.logs import log_to_file
from varemotion.stats.study import StatsSettings, study_statistics, write_study_statistics
from varemotion.stimuli import read_manifest


def main(input, params, output):
    manifest = read_manifest(input["manifest"])
    trials = read_trial_table(input["trials"], params["emotions"], manifest["stimulus_id"])
    statistics = study_statistics(trials, manifest, params["emotions"], params["classifiers"],
                                  StatsSettings(**params["stats"]), read_answers_table(input["catch"]))
    print(statistics.tables["correlations"].to_string(index=False))
    print(statistics.tables["comparisons"].to_string(index=False))
    write_study_statistics(statistics, output)


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output)
