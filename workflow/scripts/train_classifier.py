"""Train one classifier and write its weights, config and metrics."""

from pathlib import Path

from varemotion.logs import log_to_file
from varemotion.models import fit_classifier


def main(splits, params, output, gpus):
    fit_classifier(
        splits,
        arch=params["arch"],
        kwargs=params["kwargs"],
        weights=params["init_weights"],
        train=params["train"],
        out_dir=Path(output["weights"]).parent,
        metrics_path=output["metrics"],
        checkpoint_path=params["checkpoint"],
        gpus=gpus,
    )


log_to_file(snakemake.log[0])
main(
    {split: snakemake.input[split] for split in ("train", "val", "test")},
    snakemake.params,
    snakemake.output,
    snakemake.resources.get("gpu", 0),
)
