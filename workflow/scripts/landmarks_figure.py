"""The landmark overlay: 68 points on example faces of each emotion and on faces without a detection."""

from varemotion.figures.landmarks import run_landmarks_figure
from varemotion.logs import log_to_file


def main(input, params, output):
    run_landmarks_figure(input["test"], input["landmarks"], output["png"], output["pdf"], params["columns"],
                         params["dpi"])


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output)
