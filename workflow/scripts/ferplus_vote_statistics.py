"""FER+ test faces: ρ(model entropy, entropy of the 10 crowd votes) per classifier."""

from varemotion.atomic import write_csv
from varemotion.data import load_split
from varemotion.logs import log_to_file
from varemotion.models import load_classifier, predict_proba
from varemotion.device import select_device
from varemotion.stats import correlation_table
from varemotion.stats.votes import vote_entropy_table


def main(input, params, output):
    split = load_split(input["test"])
    device = select_device(0)
    probabilities = {name: predict_proba(load_classifier(input[name]), split.images_float(), device)
                     for name in params["classifiers"]}
    stats = params["stats"]
    table = vote_entropy_table(split, probabilities, min_votes=stats["min_ratings"])
    correlations = correlation_table(table, params["classifiers"], n_resamples=stats["n_resamples"],
                                     confidence=stats["confidence"], seed=stats["seed"])
    print(correlations.to_string(index=False))
    write_csv(output["per_image"], table)
    write_csv(output["correlations"], correlations)


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output)
