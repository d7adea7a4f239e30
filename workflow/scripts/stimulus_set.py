"""Filter the sample sets and write the stimulus set: images, manifest, acceptance, PNGs."""

from varemotion.logs import log_to_file
from varemotion.stimuli import run_stimulus_set


def main(input, params, output):
    run_stimulus_set(
        dict(zip(params["classifiers"], input["classifiers"])), list(input["sets"]), list(input["realism"]),
        input["threshold"], params["thresholds"], output,
    )


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output)
