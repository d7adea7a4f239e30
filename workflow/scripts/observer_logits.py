"""The observer front-end's logits for every stimulus and catch face."""

import pandas as pd

from varemotion.behavior.frontend import frontend_logits, write_logits
from varemotion.logs import log_to_file
from varemotion.models import load_classifier
from varemotion.stimuli import read_stimulus_images


def main(input, output):
    frontend = load_classifier(input["frontend"])
    tables = [frontend_logits(frontend, *read_stimulus_images(input[name])) for name in ("stimuli", "catch")]
    write_logits(pd.concat(tables, ignore_index=True), output[0])


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.output)
