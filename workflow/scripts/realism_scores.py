"""Score every image of one archive for realism (renderer fit residual, FaceMesh detection)."""

from varemotion.logs import log_to_file
from varemotion.realism.scores import RealismSettings
from varemotion.realism.stage import run_scores


def main(input, params, output):
    run_scores(input["images"], output[0], RealismSettings(**params["settings"]), part=params["part"],
               n_real=params["n_real"])


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output)
