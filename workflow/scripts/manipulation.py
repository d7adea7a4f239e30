"""Controversial guidance between pairs of individual models, answered by the simulated observers."""

from varemotion.alignment.stage import run_manipulation
from varemotion.logs import log_to_file


def main(input, params, output, gpus):
    sampling = params["sampling"]
    outputs = {key: output[key] for key in ("images", "stimuli", "outcomes", "pairs", "table", "summary")}
    run_manipulation(input["prior"], input["group"], input["individual"], input["frontend"], input["stimuli"],
                     input["logits"], input["manifest"], input["observers"], outputs, params["settings"],
                     sampling["sampler"], sampling["max_batch"], params["min_prob"], gpus)


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output, snakemake.resources.get("gpu", 0))
