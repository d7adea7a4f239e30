"""Train every participant's individual model from the group model, all at once."""

from varemotion.alignment.stage import run_individual
from varemotion.logs import log_to_file


def main(input, params, output, gpus):
    run_individual(input["group"], input["stimuli"], input["trials"], input["train"],
                   {key: output[key] for key in ("weights", "history")}, params["settings"],
                   params["validation_fraction"], gpus, input["holdout"])


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output, snakemake.resources.get("gpu", 0))
