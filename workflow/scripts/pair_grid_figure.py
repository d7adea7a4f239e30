"""Plot one sample set as a grid of emotion pairs (rows: target i, columns: target j)."""

from varemotion.figures import save_figure
from varemotion.figures.stimuli import pair_grid_figure, pair_scores, realism_labels
from varemotion.logs import log_to_file
from varemotion.models import load_classifier, predict_proba
from varemotion.sampling.sets import load_sample_set
from varemotion.stimuli import accepted, set_realism


def main(input, params, output):
    sample_set = load_sample_set(input["samples"])
    guides = {name: load_classifier(input[name]) for name in sample_set.guides}
    probs = {name: predict_proba(model, sample_set.images_float(), "cpu") for name, model in guides.items()}
    realism = set_realism(input["realism"], len(sample_set), input["threshold"], params["thresholds"]["realism"])
    by_probability = accepted(sample_set, probs, params["thresholds"])
    keep = by_probability & realism.passed
    title = f"{params['title']}: {keep.sum()} of {len(keep)} kept"
    figure = pair_grid_figure(sample_set, keep, pair_scores(sample_set, probs), title=title,
                              rejected_for_realism=by_probability & ~realism.passed, realism_labels=realism_labels(realism.scores))
    save_figure(figure, output["png"], output["pdf"], dpi=params["dpi"])


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output)
