"""Plot unguided samples of the prior, titled with its quality report."""

import json

import numpy as np

from varemotion.figures import save_figure
from varemotion.figures.stimuli import samples_grid_figure
from varemotion.logs import log_to_file


def main(input, params, output):
    report = json.loads(open(input["report"]).read())
    with np.load(input["samples"]) as data:
        images = data["images"][: params["n"]]
    title = (
        f"unguided samples: {report['classifier']} mean max-probability {report['mean_max_probability']:.2f}, "
        f"two-sample-test accuracy {report['two_sample_accuracy']:.2f}"
    )
    if "class_share_distance" in report:
        title += f", class shares {report['class_share_distance']:.2f} from the data's (total variation)"
    save_figure(samples_grid_figure(images, columns=10, title=title), output["png"], output["pdf"], dpi=params["dpi"])


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output)
