"""Human and model entropy per level of a numeric column of the stimulus table, with the trend."""

from varemotion.logs import log_to_file
from varemotion.stats.graded import run_graded


def main(input, params, output):
    table = run_graded(input["per_image"], params["column"], params["classifiers"], params["resampling"], output)
    print(table.to_string(index=False))


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output)
