"""Simulated observers rate each face of the design on the intensity scale (a file of the intensity format)."""

import pandas as pd

from varemotion.behavior.frontend import read_logits
from varemotion.behavior.intensity_simulation import simulate_intensity_ratings, write_intensity_ratings
from varemotion.behavior.simulated_study import population_from_config
from varemotion.logs import log_to_file


def main(input, params, output):
    design = pd.read_csv(input["design"], dtype={"subject_id": str, "stimulus_id": str}, keep_default_na=False)
    ratings, observers = simulate_intensity_ratings(
        design, read_logits(input["logits"], params["emotions"]), population_from_config(params["population"]), params["seed"],
        params["scale_max"], params["noise_sd"])
    print(f"{len(ratings)} trials of {len(observers)} raters")
    write_intensity_ratings(ratings, observers, output["ratings"], output["observers"])


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output)
