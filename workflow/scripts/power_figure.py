"""Plot the power analysis."""

import pandas as pd

from varemotion.figures import save_figure
from varemotion.figures.power import power_figure
from varemotion.logs import log_to_file


def main(input, params, output):
    figure = power_figure(pd.read_csv(input[0]), params["alpha"])
    save_figure(figure, output["png"], output["pdf"], dpi=params["dpi"])


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output)
