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
            multiext(f"{PRECOMPUTED}/models/{{classifier}}/", "weights.pt", "config.json", "metrics.json"),
            train=lambda w: dataset_splits()["train"],
        output:
            weights="results/models/{classifier}/weights.pt",
            config="results/models/{classifier}/config.json",
            metrics="results/models/{classifier}/metrics.json",
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
            multiext(f"{PRECOMPUTED}/prior/", "weights.pt", "config.json", "history.csv"),
            train=lambda w: dataset_splits()["train"],
        output:
            weights="results/prior/weights.pt",
            config="results/prior/config.json",
            history="results/prior/history.csv",
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
