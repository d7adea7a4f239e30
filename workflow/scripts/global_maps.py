"""Global maps per (classifier, method, expression) on the face template, scored against the regions."""

from varemotion.logs import log_to_file
from varemotion.xai.stage import run_global_maps


def main(input, params, output):
    run_global_maps({name: input[name] for name in params["classifiers"]}, input["test"], input["landmarks"] or None,
                    output, params["methods"], params["pretrained"], params["template_size"],
                    params["include_undetected"])


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output)
