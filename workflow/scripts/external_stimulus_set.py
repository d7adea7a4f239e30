"""Read a rated face set from a folder and its stimulus table, score it with every classifier, write the set."""

from varemotion.external import run_external_stimulus_set
from varemotion.logs import log_to_file


def main(input, params, output):
    run_external_stimulus_set({name: input[name] for name in params["classifiers"]}, input["images"], input["table"],
                              params["crop_box"], output)


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output)
