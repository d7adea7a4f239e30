"""Train one classifier and write its weights, config and metrics."""

from varemotion.logs import log_to_file
from varemotion.models import fit_classifier


def main(input, params, output, gpus):
    fit_classifier(
        {split: input[split] for split in ("train", "val", "test")},
        arch=params["arch"],
        kwargs=params["kwargs"],
        weights=params["init_weights"],
        train=params["train"],
        outputs={key: output[key] for key in ("weights", "config", "metrics")},
        checkpoint_path=params["checkpoint"],
        gpus=gpus,
    )


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output, snakemake.resources.get("gpu", 0))
