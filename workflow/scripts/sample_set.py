"""Sample one set of faces: uncertainty (one guide), controversial (two guides) or control."""

from varemotion.logs import log_to_file
from varemotion.sampling.run import run_sample_set


def main(input, params, output, gpus):
    settings = params["settings"]
    run_sample_set(
        settings["kind"],
        prior_weights=input["prior"],
        guides={name: input[name] for name in params["guides"]},
        emotions_from=input["emotions"],
        out_path=output[0],
        sampler=settings["sampler"],
        n_per_pair=settings["n_per_pair"],
        max_batch=settings["max_batch"],
        seed=settings["seed"],
        checkpoint_path=params["checkpoint"],
        gpus=gpus,
    )


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output, snakemake.resources.get("gpu", 0))
