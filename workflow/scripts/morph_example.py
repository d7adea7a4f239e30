"""Render the built-in morph example: a folder of faces and its stimulus table."""

from varemotion.faces.morphs import render_morphs, write_morph_set
from varemotion.logs import log_to_file


def main(params, output):
    settings = params["settings"]
    morphs = render_morphs(params["emotions"], settings["identities"], settings["levels"], settings["image_size"],
                           settings["seed"])
    print(f"{len(morphs.table)} faces of {settings['identities']} identities")
    write_morph_set(morphs, output["images"], output["table"])


log_to_file(snakemake.log[0])
main(snakemake.params, snakemake.output)
