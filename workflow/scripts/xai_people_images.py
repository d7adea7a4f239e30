"""Choose the test faces shown to the people of the explainability stage."""

from varemotion.logs import log_to_file
from varemotion.xai.people_stage import run_people_images


def main(input, params, output):
    files = {key: input[key] for key in ("clicks", "twoafc") if key in input.keys()}
    run_people_images(input["test"], input["landmarks"] or None, output[0], params["people"], params["seed"],
                      params["template_size"], params["include_undetected"], files)


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output)
