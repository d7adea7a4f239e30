"""Plot example faces of each emotion from a data set's training split."""

from varemotion.data import load_split
from varemotion.figures.faces import dataset_grid_figure
from varemotion.figures.style import save_figure
from varemotion.logs import log_to_file


def main(train, png, pdf, columns, dpi):
    save_figure(dataset_grid_figure(load_split(train), columns=columns), png, pdf, dpi=dpi)


log_to_file(snakemake.log[0])
main(
    snakemake.input["train"],
    snakemake.output["png"],
    snakemake.output["pdf"],
    snakemake.params["columns"],
    snakemake.params["dpi"],
)
