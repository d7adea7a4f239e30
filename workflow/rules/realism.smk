# Realism: how face-like every image set is, by measures that do not come from the guides.


rule realism_scores_samples:
    input:
        images=lambda w: sample_set_file(w.set),
    output:
        "results/realism/scores/samples/{set}.csv",
    log:
        "results/logs/realism/scores_{set}.log",
    wildcard_constraints:
        set="uncertainty/[^/]+|controversial/[^/]+|control",
    benchmark:
        "results/benchmarks/realism/scores_{set}.tsv"
    params:
        settings=REALISM_SETTINGS,
        part=None,
        n_real=0,
    threads: TORCH_THREADS
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/realism_scores.py"


rule realism_scores_unguided:
    input:
        images=rules.prior_quality.output.samples,
    output:
        "results/realism/scores/unguided.csv",
    log:
        "results/logs/realism/scores_unguided.log",
    benchmark:
        "results/benchmarks/realism/scores_unguided.tsv"
    params:
        settings=REALISM_SETTINGS,
        part=None,
        n_real=0,
    threads: TORCH_THREADS
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/realism_scores.py"


rule realism_scores_real:
    input:
        images=lambda w: dataset_splits()["test"],
    output:
        "results/realism/scores/real_{part}.csv",
    log:
        "results/logs/realism/scores_real_{part}.log",
    wildcard_constraints:
        part="reference|heldout",
    benchmark:
        "results/benchmarks/realism/scores_real_{part}.tsv"
    params:
        settings=REALISM_SETTINGS,
        part=lambda w: w.part,
        n_real=config["realism"]["n_real"],
    threads: TORCH_THREADS
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/realism_scores.py"


rule realism_threshold:
    input:
        reference=filled(rules.realism_scores_real.output[0], part="reference"),
    output:
        "results/realism/threshold.json",
    log:
        "results/logs/realism/threshold.log",
    params:
        settings=REALISM_SETTINGS,
    threads: 1
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/realism_threshold.py"


rule realism_report:
    input:
        unpack(realism_report_inputs),
    output:
        report=report("results/realism/report.csv", caption="../report/realism.rst", category="Stimuli"),
        summary="results/realism/summary.json",
    log:
        "results/logs/realism/report.log",
    benchmark:
        "results/benchmarks/realism/report.tsv"
    params:
        sets=lambda w: list(sample_set_names()),
        c2st=config["realism"]["two_sample"],
        n_real=config["realism"]["n_real"],
    threads: TORCH_THREADS
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/realism_report.py"


rule stimuli_vs_real_figure:
    input:
        test=lambda w: dataset_splits()["test"],
        stimuli=rules.stimulus_set.output.images,
        manifest=rules.stimulus_set.output.manifest,
        report=rules.realism_report.output.report,
    output:
        png=report("results/figures/stimuli_vs_real.png", caption="../report/stimuli_vs_real.rst", category="Stimuli"),
        pdf="results/figures/stimuli_vs_real.pdf",
    log:
        "results/logs/figures/stimuli_vs_real.log",
    params:
        columns=config["figures"]["faces_per_class"] + 2,
        n_real=config["realism"]["n_real"],
        dpi=config["figures"]["dpi"],
    threads: 1
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/stimuli_vs_real_figure.py"
