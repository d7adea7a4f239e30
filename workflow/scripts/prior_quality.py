"""Sample the prior without guidance and report how good the samples are."""

import json
from pathlib import Path

import numpy as np

from varemotion.diffusion.fit import prior_quality
from varemotion.logs import log_to_file
from varemotion.sampling.sets import to_uint8


def main(input, params, output, gpus):
    report, samples = prior_quality(
        Path(input["prior"]).parent,
        input["test"],
        input["classifier"],
        n_samples=params["n_samples"],
        num_inference_steps=params["num_inference_steps"],
        seed=params["seed"],
        gpus=gpus,
        two_sample=params["two_sample"],
    )
    np.savez_compressed(output["samples"], images=to_uint8(samples))
    Path(output["report"]).write_text(json.dumps(report, indent=2) + "\n")


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output, snakemake.resources.get("gpu", 0))
