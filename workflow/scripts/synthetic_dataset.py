"""Generate the synthetic face data set (train/val/test .npz)."""

from varemotion.data import save_splits
from varemotion.data.synthetic import build_synthetic_splits
from varemotion.logs import log_to_file


def main(settings, emotions, outputs):
    save_splits(outputs, build_synthetic_splits(settings, emotions))


log_to_file(snakemake.log[0])
main(
    snakemake.params["settings"],
    snakemake.params["emotions"],
    {split: snakemake.output[split] for split in ("train", "val", "test")},
)
