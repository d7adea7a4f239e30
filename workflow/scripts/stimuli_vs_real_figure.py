"""Plot kept stimuli of every kind beside real test faces, with each row's realism."""

from varemotion.figures import save_figure
from varemotion.figures.stimuli import stimuli_vs_real_figure
from varemotion.logs import log_to_file
from varemotion.realism.stage import realism_rows


def main(input, params, output):
    rows = realism_rows(input["test"], input["stimuli"], input["manifest"], input["report"], params["columns"],
                        params["n_real"])
    figure = stimuli_vs_real_figure(rows, params["columns"], title="kept stimuli beside real test faces")
    save_figure(figure, output["png"], output["pdf"], dpi=params["dpi"])


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output)
