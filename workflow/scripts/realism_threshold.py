"""Set the realism verdict from the reference half of the real test faces."""

from varemotion.logs import log_to_file
from varemotion.realism.scores import RealismSettings
from varemotion.realism.stage import run_threshold


def main(input, params, output):
    run_threshold(input["reference"], output[0], RealismSettings(**params["settings"]))


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output)
