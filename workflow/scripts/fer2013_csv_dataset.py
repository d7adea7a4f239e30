"""Turn the user's Kaggle fer2013.csv into train/val/test .npz."""

from varemotion.data import load_fer2013_csv, save_splits
from varemotion.logs import log_to_file


def main(csv, emotions, outputs):
    save_splits(outputs, load_fer2013_csv(csv, emotions=emotions))


log_to_file(snakemake.log[0])
main(
    snakemake.input["csv"],
    snakemake.params["emotions"],
    {split: snakemake.output[split] for split in ("train", "val", "test")},
)
