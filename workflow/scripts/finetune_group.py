"""Fine-tune the group model on everyone's training trials (hard or soft labels)."""

from varemotion.alignment.stage import run_group
from varemotion.logs import log_to_file


def main(input, params, output, gpus):
    run_group(input["base"], input["stimuli"], input["trials"], input["train"],
              {key: output[key] for key in ("weights", "config", "history")}, params["settings"], params["soft"],
              params["validation_fraction"], gpus, input["holdout"])


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output, snakemake.resources.get("gpu", 0))
