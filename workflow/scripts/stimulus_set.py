"""Filter the sample sets and write the stimulus set: images, manifest, acceptance, PNGs."""

from varemotion.logs import log_to_file
from varemotion.sampling.sets import named_set_files
from varemotion.stimuli import run_stimulus_set


def main(input, params, output):
    run_stimulus_set({name: input[name] for name in params["classifiers"]}, named_set_files(input, params["sets"]),
                     input["threshold"], params["thresholds"], output)


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output)
