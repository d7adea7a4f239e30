"""Plot human and model entropy per level of the graded column, from the saved tables."""

import pandas as pd

from varemotion.figures import save_figure
from varemotion.figures.statistics import graded_figure
from varemotion.logs import log_to_file


def main(input, params, output):
    figure = graded_figure(pd.read_csv(input["table"]), pd.read_csv(input["trend"]), params["column"],
                           confidence=params["confidence"])
    save_figure(figure, output["png"], output["pdf"], dpi=params["dpi"])


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output)
