"""Fine-tune a classifier on FER+ vote distributions; ρ(model entropy, vote entropy) before and after."""

import json
from pathlib import Path

from varemotion.alignment.votes import finetune_on_votes, vote_alignment
from varemotion.atomic import write_atomically
from varemotion.data import load_split
from varemotion.device import select_device
from varemotion.logs import log_to_file
from varemotion.models import load_classifier
from varemotion.models.classifier import save_classifier
from varemotion.models.training import TrainConfig


def main(input, params, output, gpus):
    device = select_device(gpus)
    base = load_classifier(input["base"])
    tuned = finetune_on_votes(base, load_split(input["train"]), TrainConfig(**params["train"]), device)
    correlations, metrics = vote_alignment({"base": base, "finetuned": tuned}, load_split(input["test"]),
                                           params["n_resamples"], params["seed"], device)
    print(correlations.to_string(index=False))
    save_classifier(tuned, Path(output["weights"]).parent)
    write_atomically(output["correlations"], lambda h: correlations.to_csv(h, index=False, float_format="%.6g"))
    write_atomically(output["metrics"], lambda h: h.write(json.dumps(metrics, indent=2).encode() + b"\n"))


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output, snakemake.resources.get("gpu", 0))
