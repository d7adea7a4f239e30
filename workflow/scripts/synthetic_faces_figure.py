"""Plot the renderer's faces: each emotion's prototype at rising intensity, on several identities."""

from varemotion.figures.faces import synthetic_faces_figure
from varemotion.figures.style import save_figure
from varemotion.logs import log_to_file


def main(settings, emotions, columns, png, pdf, dpi):
    figure = synthetic_faces_figure(
        emotions, columns=columns, image_size=settings["image_size"], seed=settings["seed"]
    )
    save_figure(figure, png, pdf, dpi=dpi)


log_to_file(snakemake.log[0])
main(
    snakemake.params["settings"],
    snakemake.params["emotions"],
    snakemake.params["columns"],
    snakemake.output["png"],
    snakemake.output["pdf"],
    snakemake.params["dpi"],
)
