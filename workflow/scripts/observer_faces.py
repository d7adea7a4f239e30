"""Set a share of a real data set's training and validation faces aside for the observers' front-end."""

from varemotion.data import load_split
from varemotion.data.observer_faces import set_aside
from varemotion.data.splits import save_split
from varemotion.logs import log_to_file


def main(input, params, output):
    for split in ("train", "val"):
        guides, observer = set_aside(load_split(input[split]), params["share"], params["seed"])
        print(f"{split}: {guides.n} faces for the guides, {observer.n} for the front-end")
        save_split(output[f"guides_{split}"], guides)
        save_split(output[f"observer_{split}"], observer)


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output)
