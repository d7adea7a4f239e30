"""Train the image prior on the training split."""

from pathlib import Path

from varemotion.diffusion.fit import fit_prior
from varemotion.logs import log_to_file


def main(train_path, params, output, gpus):
    fit_prior(
        train_path,
        kind=params["kind"],
        settings=params["settings"],
        train=params["train"],
        out_dir=Path(output["weights"]).parent,
        history_path=output["history"],
        checkpoint_path=params["checkpoint"],
        gpus=gpus,
    )


log_to_file(snakemake.log[0])
main(snakemake.input["train"], snakemake.params, snakemake.output, snakemake.resources.get("gpu", 0))
