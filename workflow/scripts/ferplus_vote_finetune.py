"""Fine-tune a classifier on FER+ vote distributions; ρ(model entropy, vote entropy) before and after."""


from varemotion.alignment.votes import finetune_on_votes, vote_alignment
from varemotion.atomic import write_csv, write_json
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
                                           params["stats"], device)
    print(correlations.to_string(index=False))
    save_classifier(tuned, output["weights"], output["config"])
    write_csv(output["correlations"], correlations)
    write_json(output["metrics"], metrics)


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output, snakemake.resources.get("gpu", 0))
