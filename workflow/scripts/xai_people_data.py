"""Click and 2AFC tables of the explainability stage: simulated people, or people's own files."""

from varemotion.logs import log_to_file
from varemotion.xai.people_stage import run_people_data


def main(input, params, output, gpus):
    files = {key: input[key] for key in ("clicks", "twoafc") if key in input.keys()}
    run_people_data(input["images"], input["frontend"] or None, {key: output[key] for key in ("clicks", "twoafc")},
                    params["people"], params["population"], params["seed"], gpus, files)


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output, snakemake.resources.get("gpu", 0))
