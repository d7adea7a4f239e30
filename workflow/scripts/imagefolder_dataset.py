"""Turn the user's one-folder-per-emotion image set into train/val/test .npz."""

from varemotion.data import load_imagefolder, save_splits
from varemotion.logs import log_to_file


def main(root, settings, emotions, outputs):
    splits = load_imagefolder(
        root,
        emotions=emotions,
        image_size=settings["image_size"],
        val_fraction=settings["val_fraction"],
        test_fraction=settings["test_fraction"],
        seed=settings["seed"],
        group_pattern=settings["group_pattern"],
    )
    save_splits(outputs, splits)


log_to_file(snakemake.log[0])
main(
    snakemake.params["settings"]["root"],
    snakemake.params["settings"],
    snakemake.params["emotions"],
    {split: snakemake.output[split] for split in ("train", "val", "test")},
)
