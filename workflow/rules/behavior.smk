# Behaviour: catch faces, the trial design, simulated participants or ingested ratings, and the
# trial table every later stage reads (results/behavior/trials.csv).


rule catch_faces:
    input:
        unpack(named_inputs(classifier_weights(CLASSIFIERS), test=dataset_splits()["test"])),
    output:
        images="results/behavior/catch/images.npz",
        table="results/behavior/catch/catch.csv",
        png=directory("results/behavior/catch/png"),
    log:
        "results/logs/behavior/catch_faces.log",
    params:
        classifiers=CLASSIFIERS,
        per_emotion=config["behavior"]["catch"]["per_emotion"],
    threads: 1
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/catch_faces.py"


rule trial_design:
    input:
        manifest=rules.stimulus_set.output.manifest,
        catch=rules.catch_faces.output.table,
    output:
        design="results/behavior/design.csv",
        summary="results/behavior/design_summary.json",
        holdout="results/behavior/holdout.csv",
    log:
        "results/logs/behavior/trial_design.log",
    params:
        design=config["behavior"]["design"],
    threads: 1
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/trial_design.py"


rule observer_synthetic_dataset:
    output:
        **{split: f"results/data/synthetic_observer/{split}.npz" for split in SPLITS},
    log:
        "results/logs/data/synthetic_observer.log",
    params:
        settings={**config["data"]["synthetic"], "seed": config["behavior"]["observers"]["frontend"]["data_seed"]},
        emotions=config["data"]["emotions"],
    threads: TORCH_THREADS
    resources:
        mem_mb=4000,
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/synthetic_dataset.py"


rule train_observer_frontend:
    input:
        unpack(observer_splits),
    output:
        weights="results/behavior/{frontend}/weights.pt",
        config="results/behavior/{frontend}/config.json",
        metrics="results/behavior/{frontend}/metrics.json",
    log:
        "results/logs/behavior/train_observer_{frontend}.log",
    wildcard_constraints:
        frontend="frontend|frontend_swapped",
    params:
        torch_threads=TORCH_THREADS,
        arch=lambda w: frontend_config(w)["arch"],
        kwargs=lambda w: frontend_config(w)["kwargs"],
        init_weights=None,
        train=lambda w: observer_train_settings(w),
        checkpoint=lambda w: f"results/checkpoints/behavior/{w.frontend}.pt",
    # Reusable across workflows with `--cache` (so it has no benchmark file: a cache hit could not fill it).
    cache: True
    threads: TORCH_THREADS
    resources:
        gpu=1,
        mem_mb=6000,
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/train_classifier.py"


rule observer_logits:
    input:
        frontend=rules.train_observer_frontend.output.weights,
        stimuli=rules.stimulus_set.output.images,
        catch=rules.catch_faces.output.images,
    output:
        "results/behavior/{frontend}/logits.csv",
    log:
        "results/logs/behavior/observer_logits_{frontend}.log",
    wildcard_constraints:
        frontend="frontend|frontend_swapped",
    threads: 1
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/observer_logits.py"


rule simulate_participants:
    input:
        design=rules.trial_design.output.design,
        logits=lambda w: frontend_file("logits", "frontend_swapped" if w.variant == "simulated_swapped" else "frontend"),
    output:
        trials="results/behavior/{variant}/trials.csv",
        catch="results/behavior/{variant}/catch.csv",
        observers="results/behavior/{variant}/observers.csv",
        summary="results/behavior/{variant}/summary.json",
    log:
        "results/logs/behavior/{variant}.log",
    wildcard_constraints:
        variant="simulated|simulated_null|simulated_swapped",
    params:
        emotions=config["data"]["emotions"],
        population=config["behavior"]["observers"]["population"],
        seed=config["behavior"]["observers"]["seed"],
        null=lambda w: w.variant == "simulated_null",
    threads: 1
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/simulate_participants.py"


rule ingest_ratings:
    input:
        ratings=config["behavior"]["ratings"]["paths"],
        manifest=rules.stimulus_set.output.manifest,
        holdout=rules.trial_design.output.holdout,
    output:
        trials="results/behavior/ratings/trials.csv",
        catch="results/behavior/ratings/catch.csv",
        participants="results/behavior/ratings/participants.csv",
    log:
        "results/logs/behavior/ingest_ratings.log",
    params:
        emotions=config["data"]["emotions"],
        format=config["behavior"]["ratings"]["format"],
        intensity=config["behavior"]["ratings"]["intensity"],
        column_map=config["behavior"]["ratings"]["column_map"],
        choices=config["behavior"]["ratings"]["choices"],
        # Button indices after the emotions are the experiment's non-emotion answers.
        non_emotion_answers=config["behavior"]["experiment"]["non_emotion_answers"],
        min_catch_accuracy=config["behavior"]["ratings"]["min_catch_accuracy"],
        # Rating files without is_train get the design's training rule.
        train_fraction=config["behavior"]["design"]["train_fraction"],
        seed=config["behavior"]["design"]["seed"],
    threads: 1
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/ingest_ratings.py"


rule trial_table:
    input:
        trials=participants_file(BEHAVIOR_SOURCE, "trials"),
        manifest=rules.stimulus_set.output.manifest,
    output:
        report("results/behavior/trials.csv", caption="../report/trials.rst", category="Behaviour"),
    log:
        "results/logs/behavior/trial_table.log",
    params:
        emotions=config["data"]["emotions"],
    threads: 1
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/trial_table.py"


rule experiment:
    """The rating experiment for people: jsPsych (offline, or with `varemotion serve`), a JATOS study and PsychoPy files."""
    input:
        design=rules.trial_design.output.design,
        stimuli=rules.stimulus_set.output.png,
        catch=rules.catch_faces.output.png,
        package=multiext(str(Path(workflow.basedir) / "resources" / "jspsych" / "package"), ".json", "-lock.json"),
    output:
        directory("results/experiment"),
    log:
        "results/logs/behavior/experiment.log",
    params:
        emotions=config["data"]["emotions"],
        title=config["behavior"]["experiment"]["title"],
        completion_url=config["behavior"]["experiment"]["completion_url"],
        non_emotion_answers=config["behavior"]["experiment"]["non_emotion_answers"],
    threads: 1
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/experiment.py"


rule power_analysis:
    input:
        unpack(power_alignment_inputs),
        manifest=rules.stimulus_set.output.manifest,
        logits=frontend_file("logits"),
    output:
        report("results/behavior/power.csv", caption="../report/power_table.rst", category="Behaviour"),
    log:
        "results/logs/behavior/power_analysis.log",
    benchmark:
        "results/benchmarks/behavior/power_analysis.tsv"
    params:
        emotions=config["data"]["emotions"],
        classifiers=CLASSIFIERS,
        population=config["behavior"]["observers"]["population"],
        power=config["behavior"]["power"],
        train_fraction=config["behavior"]["design"]["train_fraction"],
        stats=STATS_SETTINGS,
        individual=alignment_settings("individual"),
        validation_fraction=config["alignment"]["validation_fraction"],
    threads: 1
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/power_analysis.py"
