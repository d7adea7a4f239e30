"""Sample the prior without guidance and report how good the samples are."""

from varemotion.logs import log_to_file
from varemotion.sampling.quality import run_prior_quality


def main(input, params, output, gpus):
    run_prior_quality(input["prior"], input["test"], (params["classifier"], input["classifier"]),
                      {"report": output["report"], "samples": output["samples"]}, params["n_samples"],
                      params["sampler"], params["max_batch"], params["seed"], params["two_sample"], gpus)


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output, snakemake.resources.get("gpu", 0))
