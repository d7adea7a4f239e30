"""Simulate the study over a grid of participants × trials and report the power of the main tests."""

import torch

from varemotion.atomic import write_atomically
from varemotion.behavior.frontend import read_logits
from varemotion.behavior.simulated_study import population_from_config
from varemotion.logs import log_to_file
from varemotion.stats.power import PowerSettings, power_analysis
from varemotion.stimuli import read_manifest


def main(input, params, output):
    torch.set_num_threads(1)
    settings = params["power"]
    table = power_analysis(
        read_manifest(input["manifest"]), read_logits(input["logits"], params["emotions"]), params["classifiers"],
        population_from_config(params["population"]),
        PowerSettings(tuple(settings["participants"]), tuple(settings["trials_per_participant"]),
                      settings["n_simulations"], settings["alpha"], settings["n_resamples"], settings["seed"]),
    )
    print(table.to_string(index=False))
    write_atomically(output[0], lambda h: table.to_csv(h, index=False, float_format="%.6g"))


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output)
