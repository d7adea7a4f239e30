"""Confusion matrices of every classifier on another data set's test split."""

from varemotion.figures.cross_dataset import run_cross_dataset_figure
from varemotion.logs import log_to_file


def main(input, params, output):
    run_cross_dataset_figure(input["metrics"], input["confusion"], input["emotions"], output["png"], output["pdf"],
                             params["dpi"])


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output)
