# Trained weights from a folder (`precomputed_weights`, e.g. resources/weights/): the classifiers
# and the prior are checked against the config and copied into results/ instead of being
# trained, and every later stage and figure is rebuilt from them.

if PRECOMPUTED:

    ruleorder: precomputed_classifier > train_classifier
    ruleorder: precomputed_prior > train_prior

    localrules:
        precomputed_classifier,
        precomputed_prior,

    rule precomputed_classifier:
        input:
            multiext(f"{PRECOMPUTED}/models/{{classifier}}/", *CLASSIFIER_FILES.values()),
            train=lambda w: dataset_splits()["train"],
        output:
            **classifier_outputs(),
        log:
            "results/logs/models/{classifier}_precomputed.log",
        params:
            source=lambda w: f"{PRECOMPUTED}/models/{w.classifier}",
            arch=lambda w: config["classifiers"][w.classifier]["arch"],
            kwargs=lambda w: config["classifiers"][w.classifier]["kwargs"],
            emotions=config["data"]["emotions"],
        conda:
            "../../envs/varemotion.yaml"
        script:
            "../scripts/precomputed_weights.py"

    rule precomputed_prior:
        input:
            multiext(f"{PRECOMPUTED}/prior/", *PRIOR_FILES.values()),
            train=lambda w: dataset_splits()["train"],
        output:
            **{key: prior_file(key) for key in PRIOR_FILES},
        log:
            "results/logs/prior/precomputed.log",
        params:
            source=f"{PRECOMPUTED}/prior",
            kind=config["prior"]["kind"],
            settings=config["prior"]["settings"],
        conda:
            "../../envs/varemotion.yaml"
        script:
            "../scripts/precomputed_weights.py"
