import os
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from varemotion.config import (
    FRONTENDS,
    MORPH_EXAMPLE,
    SIMULATED_INTENSITY,
    SOURCE_LOCATIONS,
    ConfigError,
    check_config,
    classifier_train_settings,
    frontend_train_settings,
    load_schema,
    settle_prior_kind,
)
from varemotion.landmarks.choice import landmarks_input
from varemotion.landmarks.choice import rule_output as landmarks_table
from varemotion.realism.measures import resolve_measure


validate(config, schema="../schemas/config.schema.yaml", set_default=True)
settle_prior_kind(config)
CONFIG_SCHEMA = load_schema(Path(workflow.basedir) / "workflow" / "schemas" / "config.schema.yaml")
try:
    check_config(config, CONFIG_SCHEMA)
except ConfigError as error:
    raise WorkflowError(f"invalid config: {error}") from None

SOURCE = config["data"]["source"]
SPLITS = ("train", "val", "test")
CLASSIFIERS = list(config["classifiers"])
BASE_CLASSIFIER = config["prior"]["quality"]["classifier"] or CLASSIFIERS[0]
GUIDE_PAIRS = [(a, b) for a in CLASSIFIERS for b in CLASSIFIERS if a != b]
# Where the stimulus set comes from: generated on the classifiers' boundaries, or a folder from outside.
STIMULI_SOURCE = config["stimuli"]["source"]
GENERATED = STIMULI_SOURCE == "generated"
FOLDER = config["stimuli"]["folder"]
# Where the trial table comes from: results/behavior/<simulated|ratings>/trials.csv.
BEHAVIOR_SOURCE = config["behavior"]["source"]
ALIGNED = config["alignment"]["classifiers"] or CLASSIFIERS[:1]
ALIGNMENT_FIGURES = ("alignment_accuracy", "alignment_participants")
XAI = config["xai"]
EXPLAINED = XAI["classifiers"] or CLASSIFIERS
XAI_METHODS = XAI["methods"]
# Real faces' landmarks: the landmark rule's table (`auto`), the user's file, or None.
XAI_LANDMARKS = landmarks_input(XAI["landmarks"], SOURCE)
INCLUDE_UNDETECTED = XAI["undetected_faces"] == "include"
# Other data sets every classifier is scored on (results/cross_dataset/<source>/).
CROSS_SOURCES = config["cross_dataset"]["sources"]
# A folder of trained classifiers and prior used instead of training them (None: train).
PRECOMPUTED = config["precomputed_weights"]
# Named by path, not as rules.train_prior.output, so that precomputed_prior can provide it too.
PRIOR_WEIGHTS = "results/prior/weights.pt"
# Every job computes with the same number of PyTorch threads whatever `--cores` is: CPU kernels
# add numbers in an order that depends on the thread count, so this keeps results identical
# between `--cores 1` and `--cores 16`. Jobs inherit the environment (also on a cluster node,
# which reads this file again); the rules that use PyTorch claim as many cores.
TORCH_THREADS = config["torch_threads"]
os.environ.update(OMP_NUM_THREADS=str(TORCH_THREADS))
# tqdm reads this when a job imports it: a progress bar redrawn ten times a second would fill
# the job's log, every 10 s is enough there.
os.environ.setdefault("TQDM_MININTERVAL", "10")


wildcard_constraints:
    classifier="|".join(CLASSIFIERS),
    guide="|".join(CLASSIFIERS),
    guide_a="|".join(CLASSIFIERS),
    guide_b="|".join(CLASSIFIERS),
    split="|".join(SPLITS),
    method="|".join(("cam", "gradcam", "extremal", "lime")),


def dataset_splits(wildcards=None):
    """The train/val/test files the study uses: a real source's training and validation faces
    without those set aside for the observers' front-end."""
    if SOURCE == "synthetic":
        return {split: f"results/data/{SOURCE}/{split}.npz" for split in SPLITS}
    return {"train": f"results/data/{SOURCE}/guides/train.npz", "val": f"results/data/{SOURCE}/guides/val.npz",
            "test": f"results/data/{SOURCE}/test.npz"}


def source_location(source, *parts):
    """Where the user's copy of a real data set lives (checked to exist by check_config)."""
    return str(Path(config["data"][source][SOURCE_LOCATIONS[source]], *parts))


def train_settings(wildcards):
    return classifier_train_settings(config, wildcards.classifier, CONFIG_SCHEMA)


def observer_splits(wildcards=None):
    """What the observers' front-ends learn from: faces the guides never saw (their own synthetic
    faces, or a real source's faces set aside for them), tested on the study's test split."""
    if SOURCE == "synthetic":
        return {split: f"results/data/synthetic_observer/{split}.npz" for split in SPLITS}
    return {"train": f"results/data/{SOURCE}/observer/train.npz", "val": f"results/data/{SOURCE}/observer/val.npz",
            "test": f"results/data/{SOURCE}/test.npz"}


def frontend_config(wildcards):
    """The config section of one observers' front-end (`frontend` or the swapped one)."""
    return config["behavior"]["observers"][FRONTENDS[wildcards.frontend]]


def observer_train_settings(wildcards):
    return frontend_train_settings(config, CONFIG_SCHEMA, FRONTENDS[wildcards.frontend])


STATISTICS_FIGURES = ("entropy_scatter", "boundary_control", "outcomes")
# A folder's set has no guided images of its own: no guidance outcomes to draw.
FINAL_STATISTICS_FIGURES = STATISTICS_FIGURES if GENERATED else STATISTICS_FIGURES[:2]
GRADED_BY = config["stats"]["graded_by"]
# The settings of the statistical tests; graded_by only concerns the graded_ambiguity rule.
STATS_SETTINGS = {key: value for key, value in config["stats"].items() if key != "graded_by"}


#: The simulated variant behind each analysis other than the study's own trial table.
ANALYSIS_VARIANTS = {"null": "simulated_null", "swapped": "simulated_swapped"}


def analysis_trials(analysis):
    """The trial table of an analysis: the study's, or a variant of the simulated participants."""
    return "results/behavior/trials.csv" if analysis == "study" else f"results/behavior/{ANALYSIS_VARIANTS[analysis]}/trials.csv"


def analysis_catch(analysis):
    """The catch answers of the analysis's participants (for the slip rate)."""
    variant = BEHAVIOR_SOURCE if analysis == "study" else ANALYSIS_VARIANTS[analysis]
    return f"results/behavior/{variant}/catch.csv"


def figure(name):
    """Both files of one figure target."""
    return multiext(f"results/figures/{name}", ".png", ".pdf")


SAMPLER_OPTIONS = ("scheduler", "num_inference_steps", "guidance_scale", "guidance_stop", "guidance_goal", "time_travel", "renoise")


def sampling_params(kind):
    """What every sampling rule passes to its script (a changed value reruns the rule)."""
    return {
        "kind": kind,
        "sampler": {k: config["sampling"][k] for k in SAMPLER_OPTIONS},
        "n_per_pair": config["sampling"]["n_per_pair"],
        "max_batch": config["sampling"]["max_batch"],
        "seed": config["sampling"]["seed"],
    }


def control_guides():
    """Classifier name → weights guiding the control set: all of them (class-guided) or none (unguided)."""
    if config["sampling"]["control"] == "unguided":
        return {}
    return {name: f"results/models/{name}/weights.pt" for name in CLASSIFIERS}


def sample_set_names():
    """Every sample set of the study, as its path under results/samples/ without the suffix:
    uncertainty per guide, controversial per ordered guide pair, control."""
    return [
        *[f"uncertainty/{guide}" for guide in CLASSIFIERS],
        *[f"controversial/{a}-{b}" for a, b in GUIDE_PAIRS],
        "control",
    ]


def sample_sets(wildcards=None):
    """Every sample set's file, in the order of `sample_set_names`."""
    return [f"results/samples/{name}.npz" for name in sample_set_names()]


def realism_score_tables(wildcards=None):
    """Every sample set's realism scores, in the order of `sample_set_names`."""
    return [f"results/realism/scores/samples/{name}.csv" for name in sample_set_names()]


# The realism measures, with `auto` settled by the data source and by whether mediapipe is installed.
try:
    REALISM_MEASURE, REALISM_FACEMESH = resolve_measure(
        config["realism"]["measure"], SOURCE, config["realism"]["facemesh"]
    )
except ValueError as error:
    raise WorkflowError(f"invalid config: {error}") from None
REALISM_SETTINGS = {
    "measure": REALISM_MEASURE,
    "facemesh": REALISM_FACEMESH,
    "renderer_steps": config["realism"]["renderer"]["steps"],
    "renderer_lr": config["realism"]["renderer"]["lr"],
    "reference_quantile": config["realism"]["reference_quantile"],
}


def realism_report_inputs(wildcards=None):
    """Everything the realism report compares: real test faces, the prior's samples, the sets, the stimuli."""
    inputs = {
        "test": dataset_splits()["test"],
        "real_reference": "results/realism/scores/real_reference.csv",
        "real_heldout": "results/realism/scores/real_heldout.csv",
        "unguided": "results/prior/unguided.npz",
        "unguided_scores": "results/realism/scores/unguided.csv",
        "stimuli": "results/stimuli/images.npz",
        "manifest": "results/stimuli/manifest.csv",
        "threshold": "results/realism/threshold.json",
    }
    for name in sample_set_names():
        inputs[f"set_{name}"] = f"results/samples/{name}.npz"
        inputs[f"scores_{name}"] = f"results/realism/scores/samples/{name}.csv"
    return inputs


def alignment_settings(level):
    """One level's fine-tuning settings (group or individual) with the stage's seed."""
    return {**config["alignment"][level], "seed": config["alignment"]["seed"]}


def power_alignment_inputs(wildcards=None):
    """With `behavior.power.individual_vs_group`: the group model of the first aligned classifier and its data."""
    if not config["behavior"]["power"]["individual_vs_group"]:
        return {}
    return {"group": f"results/alignment/{ALIGNED[0]}/group/weights.pt", "stimuli": "results/stimuli/images.npz",
            "train": dataset_splits()["train"]}


def alignment_models(wildcards):
    """The models the alignment evaluation compares, and the simulated observers' true parameters."""
    models = {
        "base": f"results/models/{wildcards.classifier}/weights.pt",
        "group": f"results/alignment/{wildcards.classifier}/group/weights.pt",
        "group_soft": f"results/alignment/{wildcards.classifier}/group_soft/weights.pt",
        "individual": f"results/alignment/{wildcards.classifier}/individual/weights.pt",
    }
    if BEHAVIOR_SOURCE == "simulated":
        models["observers"] = "results/behavior/simulated/observers.csv"
    return models


def alignment_outputs():
    """Per aligned classifier: the evaluation and its figures, and with simulated participants the
    planted-bias figure and the manipulation test."""
    outputs = []
    for name in ALIGNED:
        outputs.append(f"results/alignment/{name}/evaluation/summary.json")
        outputs += [f for figure_name in ALIGNMENT_FIGURES for f in figure(f"{figure_name}_{name}")]
        if BEHAVIOR_SOURCE == "simulated":
            outputs += figure(f"alignment_bias_{name}")
        if BEHAVIOR_SOURCE == "simulated" and GENERATED:  # its control images are generated ones
            outputs += figure(f"manipulation_{name}")
        if SOURCE == "ferplus":
            outputs.append(f"results/alignment/{name}/votes/correlations.csv")
    return outputs


def xai_has_landmarks():
    """Whether faces can be warped onto a template: the renderer knows its faces, real faces need landmarks."""
    return SOURCE == "synthetic" or bool(XAI_LANDMARKS)


def xai_people_enabled():
    """Simulated people need face regions (landmarks); people's own files need nothing more."""
    return XAI["people"]["source"] == "data" or xai_has_landmarks()


def xai_settings():
    """What every saliency job passes to its script (a changed value recomputes the maps)."""
    return {
        "methods": XAI_METHODS,
        "lime": XAI["lime"],
        "extremal": XAI["extremal"],
        "batch_size": XAI["batch_size"],
        "seed": XAI["seed"],
    }


def people_files(wildcards=None):
    """People's own click and 2AFC files (`xai.people.source: data`), so that a changed file reruns."""
    people = XAI["people"]
    return {"clicks": people["clicks"], "twoafc": people["twoafc"]} if people["source"] == "data" else {}


def xai_figure_inputs(wildcards):
    """The saved results one figure of the explainability stage is drawn from."""
    name = wildcards.figure
    if name in ("xai_attention", "xai_similarity", "xai_2afc"):
        return {"images": "results/xai/people/images.npz", "attention": "results/xai/people/attention.npz",
                "similarity": "results/xai/people/similarity.csv", "twoafc": "results/xai/people/twoafc_accuracy.csv",
                "maps": expand("results/xai/maps/{classifier}/people.npz", classifier=EXPLAINED)}
    return {"maps": "results/xai/global/maps.npz", "template": "results/xai/global/template.npz",
            "scores": "results/xai/global/scores.csv"}


def xai_outputs():
    """The explainability stage: global maps against the expressions' regions, and human attention."""
    if not XAI["enabled"]:
        return []
    outputs = []
    if XAI_LANDMARKS == landmarks_table(SOURCE):
        outputs += figure(f"landmarks_{SOURCE}")
    if xai_has_landmarks():
        outputs.append("results/xai/global/summary.json")
        outputs += figure("xai_iou")
        for method in XAI_METHODS:
            outputs += [*figure(f"xai_global_maps_{method}"), *figure(f"xai_dendrograms_{method}")]
    if xai_people_enabled():
        outputs.append("results/xai/people/summary.json")
        outputs += [f for name in ("xai_attention", "xai_similarity", "xai_2afc") for f in figure(name)]
    return outputs


def generated_outputs():
    """What only a generated stimulus set has: the prior's quality, the realism measures, the pair grids."""
    return [
        "results/prior/quality.json",
        *figure("prior_samples"),
        "results/realism/report.csv",
        *figure("stimuli_vs_real"),
        *[f for c in CLASSIFIERS for f in figure(f"pairs_uncertainty_{c}")],
        *[f for a, b in GUIDE_PAIRS for f in figure(f"pairs_controversial_{a}-{b}")],
    ]


def get_final_outputs():
    outputs = [
        *dataset_splits().values(),
        *figure(f"dataset_{SOURCE}"),
        *expand("results/models/{classifier}/metrics.json", classifier=CLASSIFIERS),
        *[f for c in CLASSIFIERS for f in figure(f"confusion_{c}")],
    ]
    if SOURCE == "synthetic":
        outputs += figure("synthetic_faces")
    outputs += generated_outputs() if GENERATED else []
    outputs += ["results/stimuli/manifest.csv", "results/behavior/trials.csv", *figure("power")]
    analyses = ["study", "null"] if BEHAVIOR_SOURCE == "simulated" else ["study"]
    for analysis in analyses:
        outputs.append(f"results/stats/{analysis}/summary.json")
        outputs += [f for name in FINAL_STATISTICS_FIGURES for f in figure(f"{name}_{analysis}")]
        if GRADED_BY:
            outputs += [f"results/stats/{analysis}/graded.csv", *figure(f"graded_ambiguity_{analysis}")]
    if BEHAVIOR_SOURCE == "simulated" and config["behavior"]["observers"]["swapped_frontend"]["enabled"]:
        outputs.append("results/stats/frontend_comparison.csv")
    if SOURCE == "ferplus":
        outputs.append("results/stats/ferplus_votes/correlations.csv")
    for source in CROSS_SOURCES:
        outputs += [f"results/cross_dataset/{source}/summary.json", *figure(f"cross_dataset_{source}")]
    return outputs + alignment_outputs() + xai_outputs()
