"""Human attention maps against the models' maps (within the face, and against other faces), and 2AFC accuracy."""

from varemotion.logs import log_to_file
from varemotion.xai.people_stage import run_attention_comparison


def main(input, params, output):
    run_attention_comparison({name: input[name] for name in params["classifiers"]}, input["images"], input["clicks"],
                             input["twoafc"], output, params["methods"], params["resampling"])


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output)
