"""Plot one figure of the explainability stage from its saved results."""

import numpy as np
import pandas as pd

from varemotion.figures import save_figure
from varemotion.figures.xai import (
    attention_figure,
    dendrogram_figure,
    global_maps_figure,
    iou_figure,
    similarity_figure,
    twoafc_figure,
)
from varemotion.logs import log_to_file
from varemotion.xai.global_maps import load_global_maps


def global_figure(name, input):
    maps, _ = load_global_maps(input["maps"])
    scores = pd.read_csv(input["scores"])
    if name == "xai_iou":
        return iou_figure(scores)
    method = name.rsplit("_", 1)[1]
    if name.startswith("xai_dendrograms_"):
        return dendrogram_figure(maps, method, pretrained=dict(zip(scores["classifier"], scores["pretrained"])))
    with np.load(input["template"], allow_pickle=False) as template:
        truth = dict(zip(template["truth_emotions"].tolist(), template["truth"]))
        return global_maps_figure(maps, method, template_image=template["image"], truth=truth)


def people_figure(name, input):
    if name == "xai_2afc":
        return twoafc_figure(pd.read_csv(input["twoafc"]))
    if name == "xai_similarity":
        return similarity_figure(pd.read_csv(input["similarity"]))
    with np.load(input["images"], allow_pickle=False) as faces, np.load(input["attention"], allow_pickle=False) as human:
        # One face of each emotion (the first shown), so that every expression appears.
        shown = np.unique(faces["labels"], return_index=True)[1]
        images, ids, human_maps = faces["images"][shown], faces["ids"][shown], human["maps"][shown]
    model_maps = {}
    for path in input["maps"]:
        with np.load(path, allow_pickle=False) as data:
            name_of = path.split("/")[-2]
            for key in data.files:
                if key.startswith("maps_"):
                    model_maps[(name_of, key[len("maps_"):])] = data[key][shown]
    return attention_figure(images, human_maps, model_maps, ids, n=len(shown))


def main(input, params, output):
    name = params["figure"]
    people = name in ("xai_attention", "xai_similarity", "xai_2afc")
    figure = people_figure(name, input) if people else global_figure(name, input)
    save_figure(figure, output["png"], output["pdf"], dpi=params["dpi"])


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output)
