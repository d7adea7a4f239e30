"""Plot the manipulation test's outcome shares against the control."""

import pandas as pd

from varemotion.figures import save_figure
from varemotion.figures.alignment import manipulation_figure
from varemotion.logs import log_to_file


def main(input, params, output):
    save_figure(manipulation_figure(pd.read_csv(input[0])), output["png"], output["pdf"], dpi=params["dpi"])


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output)
