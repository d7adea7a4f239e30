# Perceptual boundary sampling: guided sample sets, then the filtered stimulus set.


rule sample_uncertainty:
    input:
        unpack(named_inputs(lambda w: classifier_weights([w.guide]), prior=prior_file(),
                            emotions=lambda w: dataset_splits()["val"])),
    output:
        "results/samples/uncertainty/{guide}.npz",
    log:
        "results/logs/samples/uncertainty_{guide}.log",
    params:
        torch_threads=TORCH_THREADS,
        settings=sampling_params("uncertainty"),
        guides=lambda w: [w.guide],
        checkpoint="results/checkpoints/samples/uncertainty_{guide}.pt",
    # Reusable across workflows with `--cache` (so it has no benchmark file: a cache hit could not fill it).
    cache: True
    threads: TORCH_THREADS
    resources:
        gpu=1,
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/sample_set.py"


rule sample_controversial:
    input:
        unpack(named_inputs(lambda w: classifier_weights([w.guide_a, w.guide_b]), prior=prior_file(),
                            emotions=lambda w: dataset_splits()["val"])),
    output:
        "results/samples/controversial/{guide_a}-{guide_b}.npz",
    log:
        "results/logs/samples/controversial_{guide_a}-{guide_b}.log",
    params:
        torch_threads=TORCH_THREADS,
        settings=sampling_params("controversial"),
        # A says i, B says j: the order matters.
        guides=lambda w: [w.guide_a, w.guide_b],
        checkpoint="results/checkpoints/samples/controversial_{guide_a}-{guide_b}.pt",
    # Reusable across workflows with `--cache` (so it has no benchmark file: a cache hit could not fill it).
    cache: True
    threads: TORCH_THREADS
    resources:
        gpu=1,
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/sample_set.py"


rule sample_control:
    input:
        unpack(named_inputs(classifier_weights(control_guides()), prior=prior_file(),
                            emotions=lambda w: dataset_splits()["val"])),
    output:
        "results/samples/control.npz",
    log:
        "results/logs/samples/control.log",
    params:
        torch_threads=TORCH_THREADS,
        settings=sampling_params("control"),
        guides=control_guides(),
        checkpoint="results/checkpoints/samples/control.pt",
    # Reusable across workflows with `--cache` (so it has no benchmark file: a cache hit could not fill it).
    cache: True
    threads: TORCH_THREADS
    resources:
        gpu=1,
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/sample_set.py"


# The stimulus set of `stimuli.source: folder` is built by external.smk, under the same rule name.
if GENERATED:

    rule stimulus_set:
        input:
            # The sample sets and their realism scores, keyed set_<name> and scores_<name> (see sample_set_inputs).
            unpack(named_inputs(lambda w: {**classifier_weights(CLASSIFIERS), **sample_set_inputs()},
                                threshold=lambda w: rules.realism_threshold.output[0])),
        output:
            images="results/stimuli/images.npz",
            manifest=report("results/stimuli/manifest.csv", caption="../report/manifest.rst", category="Stimuli"),
            acceptance=report("results/stimuli/acceptance.csv", caption="../report/acceptance.rst", category="Stimuli"),
            png=directory("results/stimuli/png"),
        log:
            "results/logs/stimuli/stimulus_set.log",
        benchmark:
            "results/benchmarks/stimuli/stimulus_set.tsv"
        params:
            classifiers=CLASSIFIERS,
            sets=sample_set_names(),
            thresholds=config["filters"],
        threads: 1
        conda:
            "../../envs/varemotion.yaml"
        script:
            "../scripts/stimulus_set.py"
