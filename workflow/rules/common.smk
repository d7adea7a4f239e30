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
from varemotion.xai.methods import METHODS


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
XAI_METHODS = XAI["methods"] or list(METHODS)
# Real faces' landmarks: the landmark rule's table (`auto`), the user's file, or None.
XAI_LANDMARKS = landmarks_input(XAI["landmarks"], SOURCE)
INCLUDE_UNDETECTED = XAI["undetected_faces"] == "include"
# Other data sets every classifier is scored on (results/cross_dataset/<source>/).
CROSS_SOURCES = config["cross_dataset"]["sources"]
# A folder of trained classifiers and prior used instead of training them (None: train).
PRECOMPUTED = config["precomputed_weights"]
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


# The files of a classifier and of the prior, which two rules can make: train_classifier and
# train_prior, or precomputed_classifier and precomputed_prior with `precomputed_weights`.
CLASSIFIER_FILES = {"weights": "weights.pt", "config": "config.json", "metrics": "metrics.json"}
PRIOR_FILES = {"weights": "weights.pt", "config": "config.json", "history": "history.csv"}


def classifier_file(name, key="weights"):
    """One file of the classifier `name` (a configured name, or a wildcard such as "{guide}")."""
    return f"results/models/{name}/{CLASSIFIER_FILES[key]}"


def classifier_outputs():
    """The output files of a rule that makes a classifier (wildcard {classifier})."""
    return {key: classifier_file("{classifier}", key) for key in CLASSIFIER_FILES}


def classifier_weights(names):
    """Classifier name → its weight file."""
    return {name: classifier_file(name) for name in names}


def prior_file(key="weights"):
    """One file of the prior."""
    return f"results/prior/{PRIOR_FILES[key]}"


def filled(pattern, **wildcards):
    """A rule's output `pattern` with some of its wildcards filled in and the others kept."""
    return expand(pattern, allow_missing=True, **wildcards)[0]


def named_inputs(files, **others):
    """An input function for `unpack`: the rule's `others` beside `files` (name → path, or a function of
    the wildcards giving that), so that a script reads each classifier's file by the classifier's name.

    `others` values may be functions of the wildcards. A name among both would hide a file: refused.
    """
    def inputs(wildcards):
        named = files(wildcards) if callable(files) else files
        clash = sorted(set(named) & set(others))
        if clash:
            raise WorkflowError(f"classifiers {clash} are named like other inputs of the rule that reads them; "
                                "rename them under `classifiers`")
        return {**{key: value(wildcards) if callable(value) else value for key, value in others.items()}, **named}

    return inputs


def dataset_splits(wildcards=None):
    """The train/val/test files the study uses: a real source's training and validation faces
    without those set aside for the observers' front-end."""
    made = getattr(rules, f"{SOURCE}_dataset").output
    if SOURCE == "synthetic":
        return {split: made[split] for split in SPLITS}
    guides = rules.observer_faces.output
    return {"train": filled(guides.guides_train, source=SOURCE), "val": filled(guides.guides_val, source=SOURCE),
            "test": made.test}


def source_location(source, *parts):
    """Where the user's copy of a real data set lives (checked to exist by check_config)."""
    return str(Path(config["data"][source][SOURCE_LOCATIONS[source]], *parts))


def train_settings(wildcards):
    return classifier_train_settings(config, wildcards.classifier, CONFIG_SCHEMA)


def observer_splits(wildcards=None):
    """What the observers' front-ends learn from: faces the guides never saw (their own synthetic
    faces, or a real source's faces set aside for them), tested on the study's test split."""
    if SOURCE == "synthetic":
        return dict(rules.observer_synthetic_dataset.output.items())
    observer = rules.observer_faces.output
    return {"train": filled(observer.observer_train, source=SOURCE), "val": filled(observer.observer_val, source=SOURCE),
            "test": dataset_splits()["test"]}


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


def participants_file(variant, key):
    """A table (`trials`, `catch`) of one group of participants: people's ingested ratings (variant
    "ratings") or simulated participants (the other variants)."""
    made_by = rules.ingest_ratings if variant == "ratings" else rules.simulate_participants
    return filled(made_by.output[key], variant=variant)


def analysis_trials(analysis):
    """The trial table of an analysis: the study's, or a variant of the simulated participants."""
    return rules.trial_table.output[0] if analysis == "study" else participants_file(ANALYSIS_VARIANTS[analysis], "trials")


def analysis_catch(analysis):
    """The catch answers of the analysis's participants (for the slip rate)."""
    return participants_file(BEHAVIOR_SOURCE if analysis == "study" else ANALYSIS_VARIANTS[analysis], "catch")


def figure(name):
    """Both files of one figure target."""
    return multiext(f"results/figures/{name}", ".png", ".pdf")


SAMPLER_OPTIONS = ("scheduler", "num_inference_steps", "guidance_scale", "guidance_stop", "guidance_goal", "time_travel", "renoise")
#: The sampler's options that shape an unguided sample.
UNGUIDED_SAMPLER_OPTIONS = ("scheduler", "num_inference_steps", "time_travel", "renoise")


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
    """The classifiers guiding the control set: all of them (class-guided) or none (unguided)."""
    return [] if config["sampling"]["control"] == "unguided" else CLASSIFIERS


def sample_set_names():
    """Every sample set of the study, as its path under results/samples/ without the suffix:
    uncertainty per guide, controversial per ordered guide pair, control."""
    return [
        *[f"uncertainty/{guide}" for guide in CLASSIFIERS],
        *[f"controversial/{a}-{b}" for a, b in GUIDE_PAIRS],
        "control",
    ]


def sample_set_file(name):
    """The file of one sample set (a name of `sample_set_names`)."""
    kind, _, guides = name.partition("/")
    if kind == "control":
        return rules.sample_control.output[0]
    if kind == "uncertainty":
        return filled(rules.sample_uncertainty.output[0], guide=guides)
    guide_a, guide_b = guides.split("-")
    return filled(rules.sample_controversial.output[0], guide_a=guide_a, guide_b=guide_b)


def sample_set_inputs():
    """Every sample set and its realism scores, keyed `set_<name>` and `scores_<name>`."""
    inputs = {}
    for name in sample_set_names():
        inputs[f"set_{name}"] = sample_set_file(name)
        inputs[f"scores_{name}"] = filled(rules.realism_scores_samples.output[0], set=name)
    return inputs


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
    return {
        "test": dataset_splits()["test"],
        "real_reference": filled(rules.realism_scores_real.output[0], part="reference"),
        "real_heldout": filled(rules.realism_scores_real.output[0], part="heldout"),
        "unguided": rules.prior_quality.output.samples,
        "unguided_scores": rules.realism_scores_unguided.output[0],
        "stimuli": rules.stimulus_set.output.images,
        "manifest": rules.stimulus_set.output.manifest,
        "threshold": rules.realism_threshold.output[0],
        **sample_set_inputs(),
    }


def alignment_settings(level):
    """One level's fine-tuning settings (group or individual) with the stage's seed."""
    return {**config["alignment"][level], "seed": config["alignment"]["seed"]}


def group_weights(classifier="{classifier}", model="group"):
    """The weights of a group model (`group` or `group_soft`) of a classifier."""
    return filled(rules.finetune_group.output.weights, classifier=classifier, group_model=model)


def frontend_file(key, frontend="frontend"):
    """A file (`weights`, `logits`) of an observers' front-end (`frontend` or `frontend_swapped`)."""
    if key == "logits":
        return filled(rules.observer_logits.output[0], frontend=frontend)
    return filled(rules.train_observer_frontend.output[key], frontend=frontend)


def power_alignment_inputs(wildcards=None):
    """With `behavior.power.individual_vs_group`: the group model of the first aligned classifier and its data."""
    if not config["behavior"]["power"]["individual_vs_group"]:
        return {}
    return {"group": group_weights(ALIGNED[0]), "stimuli": rules.stimulus_set.output.images,
            "train": dataset_splits()["train"]}


def alignment_models(wildcards):
    """The models the alignment evaluation compares, and the simulated observers' true parameters."""
    models = {
        "base": classifier_file(wildcards.classifier),
        "group": group_weights(wildcards.classifier),
        "group_soft": group_weights(wildcards.classifier, "group_soft"),
        "individual": filled(rules.individual_models.output.weights, classifier=wildcards.classifier),
    }
    if BEHAVIOR_SOURCE == "simulated":
        models["observers"] = participants_file("simulated", "observers")
    return models


def alignment_outputs():
    """Per aligned classifier: the evaluation and its figures, and with simulated participants the
    planted-bias figure and the manipulation test."""
    outputs = []
    for name in ALIGNED:
        outputs.append(filled(rules.alignment_evaluation.output.summary, classifier=name))
        outputs += [f for figure_name in ALIGNMENT_FIGURES for f in figure(f"{figure_name}_{name}")]
        if BEHAVIOR_SOURCE == "simulated":
            outputs += figure(f"alignment_bias_{name}")
        if BEHAVIOR_SOURCE == "simulated" and GENERATED:  # its control images are generated ones
            outputs += figure(f"manipulation_{name}")
        if SOURCE == "ferplus":
            outputs.append(filled(rules.ferplus_vote_finetune.output.correlations, classifier=name))
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


PEOPLE_FILES = ("clicks", "twoafc")


def people_files(wildcards=None):
    """People's own click and 2AFC files (`xai.people.source: data`), so that a changed file reruns."""
    people = XAI["people"]
    return {key: people[key] for key in PEOPLE_FILES} if people["source"] == "data" else {}


def people_settings():
    """The `xai.people` settings without the files, which reach the scripts as inputs."""
    return {key: value for key, value in XAI["people"].items() if key not in PEOPLE_FILES}


XAI_PEOPLE_FIGURES = ("xai_attention", "xai_similarity", "xai_2afc")


def saliency_files(image_set):
    """Classifier name → its saliency maps of one image set (`global` or `people`), for every explained classifier."""
    return {name: filled(rules.saliency_maps.output[0], classifier=name, image_set=image_set) for name in EXPLAINED}


def xai_figure_inputs(wildcards):
    """The saved results one figure of the explainability stage is drawn from."""
    if wildcards.figure in XAI_PEOPLE_FIGURES:
        people = rules.attention_comparison.output
        return named_inputs(saliency_files("people"), images=rules.xai_people_images.output[0],
                            attention=people.attention, similarity=people.similarity,
                            twoafc=people.twoafc_accuracy)(wildcards)
    return {key: rules.global_maps.output[key] for key in ("maps", "template", "scores")}


def xai_outputs():
    """The explainability stage: global maps against the expressions' regions, and human attention."""
    if not XAI["enabled"]:
        return []
    outputs = []
    if XAI_LANDMARKS == landmarks_table(SOURCE):
        outputs += figure(f"landmarks_{SOURCE}")
    if xai_has_landmarks():
        outputs.append(rules.global_maps.output.summary)
        outputs += figure("xai_iou")
        for method in XAI_METHODS:
            outputs += [*figure(f"xai_global_maps_{method}"), *figure(f"xai_dendrograms_{method}")]
    if xai_people_enabled():
        outputs.append(rules.attention_comparison.output.summary)
        outputs += [f for name in XAI_PEOPLE_FIGURES for f in figure(name)]
    return outputs


def generated_outputs():
    """What only a generated stimulus set has: the prior's quality, the realism measures, the pair grids."""
    return [
        rules.prior_quality.output.report,
        *figure("prior_samples"),
        rules.realism_report.output.report,
        *figure("stimuli_vs_real"),
        *[f for c in CLASSIFIERS for f in figure(f"pairs_uncertainty_{c}")],
        *[f for a, b in GUIDE_PAIRS for f in figure(f"pairs_controversial_{a}-{b}")],
    ]


def get_final_outputs():
    """What `all` builds."""
    outputs = [
        *dataset_splits().values(),
        *figure(f"dataset_{SOURCE}"),
        *[classifier_file(name, "metrics") for name in CLASSIFIERS],
        *[f for c in CLASSIFIERS for f in figure(f"confusion_{c}")],
    ]
    if SOURCE == "synthetic":
        outputs += figure("synthetic_faces")
    outputs += generated_outputs() if GENERATED else []
    outputs += [rules.stimulus_set.output.manifest, rules.trial_table.output[0], *figure("power")]
    analyses = ["study", "null"] if BEHAVIOR_SOURCE == "simulated" else ["study"]
    for analysis in analyses:
        outputs.append(filled(rules.study_statistics.output.summary, analysis=analysis))
        outputs += [f for name in FINAL_STATISTICS_FIGURES for f in figure(f"{name}_{analysis}")]
        if GRADED_BY:
            outputs += [filled(rules.graded_ambiguity.output.table, analysis=analysis), *figure(f"graded_ambiguity_{analysis}")]
    if BEHAVIOR_SOURCE == "simulated" and config["behavior"]["observers"]["swapped_frontend"]["enabled"]:
        outputs.append(rules.frontend_comparison.output[0])
    if SOURCE == "ferplus":
        outputs.append(rules.ferplus_vote_statistics.output.correlations)
    for source in CROSS_SOURCES:
        outputs += [filled(rules.cross_dataset_evaluation.output.summary, source=source), *figure(f"cross_dataset_{source}")]
    return outputs + alignment_outputs() + xai_outputs()
