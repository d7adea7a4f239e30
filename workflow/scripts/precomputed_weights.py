"""Check precomputed weights (a classifier or the prior) against the config and copy them into results/."""

from varemotion.data import load_split
from varemotion.logs import log_to_file
from varemotion.precomputed import import_classifier, import_prior


def main(rule, train_path, params, outputs):
    image_size = load_split(train_path).images.shape[1]
    if rule == "precomputed_prior":
        import_prior(params["source"], outputs, params["kind"], params["settings"], image_size)
    else:
        import_classifier(params["source"], outputs, params["arch"], params["kwargs"], params["emotions"], image_size)


log_to_file(snakemake.log[0])
main(snakemake.rule, snakemake.input["train"], snakemake.params, dict(snakemake.output.items()))
