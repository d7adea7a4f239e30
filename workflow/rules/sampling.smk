# Perceptual boundary sampling: guided sample sets, then the filtered stimulus set.


rule sample_uncertainty:
    input:
        prior=PRIOR_WEIGHTS,
        guide="results/models/{guide}/weights.pt",
        emotions=lambda w: dataset_splits()["val"],
    output:
        "results/samples/uncertainty/{guide}.npz",
    log:
        "results/logs/samples/uncertainty_{guide}.log",
    params:
        torch_threads=TORCH_THREADS,
        settings=sampling_params("uncertainty"),
        guides=lambda w, input: {w.guide: input.guide},
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
        prior=PRIOR_WEIGHTS,
        guide_a="results/models/{guide_a}/weights.pt",
        guide_b="results/models/{guide_b}/weights.pt",
        emotions=lambda w: dataset_splits()["val"],
    output:
        "results/samples/controversial/{guide_a}-{guide_b}.npz",
    log:
        "results/logs/samples/controversial_{guide_a}-{guide_b}.log",
    params:
        torch_threads=TORCH_THREADS,
        settings=sampling_params("controversial"),
        guides=lambda w, input: {w.guide_a: input.guide_a, w.guide_b: input.guide_b},
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
        prior=PRIOR_WEIGHTS,
        emotions=lambda w: dataset_splits()["val"],
        guides=list(control_guides().values()),
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
            sets=sample_sets(),
            realism=realism_score_tables(),
            threshold="results/realism/threshold.json",
            classifiers=expand("results/models/{classifier}/weights.pt", classifier=CLASSIFIERS),
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
            thresholds=config["filters"],
        threads: 1
        conda:
            "../../envs/varemotion.yaml"
        script:
            "../scripts/stimulus_set.py"
