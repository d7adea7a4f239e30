"""Simulate the study over a grid of participants × trials and report the power of the main tests."""

import torch

from varemotion.atomic import write_csv
from varemotion.behavior.frontend import read_logits
from varemotion.behavior.simulated_study import population_from_config
from varemotion.logs import log_to_file
from varemotion.stats.power import PowerSettings, power_analysis
from varemotion.stats.study import StatsSettings
from varemotion.stimuli import read_manifest


def individual_test(input, params):
    """The alignment stage's individual-vs-group test, when the config asks for it."""
    if "group" not in input.keys():
        return None
    from varemotion.alignment.power import individual_vs_group
    from varemotion.data import load_split
    from varemotion.data.splits import images_to_float
    from varemotion.models.classifier import load_classifier
    from varemotion.stimuli import read_stimulus_images

    ids, images = read_stimulus_images(input["stimuli"])
    split = load_split(input["train"])
    return individual_vs_group(load_classifier(input["group"]), ids, images_to_float(images), split.images_float(),
                               split.labels, params["individual"], params["validation_fraction"])


def main(input, params, output):
    torch.set_num_threads(1)
    settings = params["power"]
    table = power_analysis(
        read_manifest(input["manifest"]), read_logits(input["logits"], params["emotions"]), params["classifiers"],
        population_from_config(params["population"]),
        PowerSettings(tuple(settings["participants"]), tuple(settings["trials_per_participant"]),
                      settings["n_simulations"], settings["alpha"], settings["n_resamples"], settings["seed"],
                      params["train_fraction"]),
        StatsSettings(**params["stats"]), extra_tests=individual_test(input, params),
    )
    print(table.to_string(index=False))
    write_csv(output[0], table)


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output)
