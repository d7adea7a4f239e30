"""Plot one figure of the statistics stage from its saved tables."""

import pandas as pd

from varemotion.figures import save_figure
from varemotion.figures.statistics import boundary_control_figure, entropy_scatter_figure, outcome_figure
from varemotion.logs import log_to_file
from varemotion.stats import read_per_image


def main(input, params, output):
    per_image = read_per_image(input["per_image"])
    confidence = params["confidence"]
    if params["figure"] == "entropy_scatter":
        figure = entropy_scatter_figure(per_image, pd.read_csv(input["correlations"]), params["classifiers"],
                                        confidence=confidence)
    elif params["figure"] == "boundary_control":
        comparisons = pd.read_csv(input["comparisons"])
        guided = comparisons[comparisons["kind"] == "guided"]
        figure = boundary_control_figure(per_image, guided.iloc[0] if len(guided) else None, comparisons,
                                         confidence=confidence)
    else:
        proportions = pd.read_csv(input["outcomes"], keep_default_na=False)
        figure = outcome_figure(per_image, proportions, confidence=confidence)
    save_figure(figure, output["png"], output["pdf"], dpi=params["dpi"])


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output)
