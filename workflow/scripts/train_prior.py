"""Train the image prior on the training split."""

from varemotion.diffusion.fit import fit_prior
from varemotion.logs import log_to_file


def main(input, params, output, gpus):
    fit_prior(
        input["train"],
        kind=params["kind"],
        settings=params["settings"],
        train=params["train"],
        outputs={key: output[key] for key in ("weights", "config", "history")},
        checkpoint_path=params["checkpoint"],
        gpus=gpus,
    )


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output, snakemake.resources.get("gpu", 0))
