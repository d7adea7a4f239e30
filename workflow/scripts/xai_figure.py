"""Plot one figure of the explainability stage from its saved results."""

from varemotion.figures import save_figure
from varemotion.figures.explainability import xai_figure
from varemotion.logs import log_to_file


def main(input, params, output):
    figure = xai_figure(params["figure"], input, params["classifiers"])
    save_figure(figure, output["png"], output["pdf"], dpi=params["dpi"])


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output)
