"""Plot one figure of the alignment evaluation: accuracy bars, per-participant accuracy or bias recovery."""

import json

import pandas as pd

from varemotion.figures import save_figure
from varemotion.figures.alignment import accuracy_figure, bias_recovery_figure, participants_figure
from varemotion.logs import log_to_file


def main(input, params, output):
    summary = json.loads(open(input["summary"]).read())
    if params["figure"] == "alignment_accuracy":
        figure = accuracy_figure(pd.read_csv(input["accuracy"]), chance=1 / len(params["emotions"]))
    elif params["figure"] == "alignment_participants":
        figure = participants_figure(pd.read_csv(input["participants"]), summary["tests"])
    else:
        figure = bias_recovery_figure(pd.read_csv(input["bias"]), summary.get("bias_recovery"))
    save_figure(figure, output["png"], output["pdf"], dpi=params["dpi"])


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output)
