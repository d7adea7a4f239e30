"""Plot a classifier's test confusion matrix from its metrics."""

import json

from varemotion.figures.classifiers import confusion_matrix_figure
from varemotion.figures.style import save_figure
from varemotion.logs import log_to_file


def main(metrics_path, png, pdf, dpi):
    metrics = json.loads(open(metrics_path).read())
    save_figure(confusion_matrix_figure(metrics["test"], title=metrics["arch"]), png, pdf, dpi=dpi)


log_to_file(snakemake.log[0])
main(snakemake.input["metrics"], snakemake.output["png"], snakemake.output["pdf"], snakemake.params["dpi"])
