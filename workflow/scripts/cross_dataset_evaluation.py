"""Every classifier scored on another data set's test split, emotions matched by name."""

from varemotion.logs import log_to_file
from varemotion.models.cross_dataset import run_cross_dataset


def main(input, params, output, gpus):
    run_cross_dataset({name: input[name] for name in params["classifiers"]}, input["test"], output, gpus)


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output, snakemake.resources.get("gpu", 0))
