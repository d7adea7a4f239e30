"""Turn the user's FER+ copy into train/val/test .npz, joining votes to images by name."""

from varemotion.data import load_ferplus, save_splits
from varemotion.logs import log_to_file


def main(root, emotions, outputs):
    save_splits(outputs, load_ferplus(root, emotions=emotions))


log_to_file(snakemake.log[0])
main(
    snakemake.params["root"],
    snakemake.params["emotions"],
    {split: snakemake.output[split] for split in ("train", "val", "test")},
)
