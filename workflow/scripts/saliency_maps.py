"""Saliency maps of one classifier (every configured method) on the global or the people's image set."""

from varemotion.logs import log_to_file
from varemotion.xai.stage import run_saliency


def main(input, params, output, gpus):
    run_saliency(input["weights"], input["test"], input["people"] or None, output[0], params["image_set"],
                 params["n_per_emotion"], params["settings"], gpus, input["landmarks"] or None,
                 params["include_undetected"])


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output, snakemake.resources.get("gpu", 0))
