# Figures: one target each, rebuilt from saved results only.


rule synthetic_faces_figure:
    output:
        png=report(
            "results/figures/synthetic_faces.png",
            caption="../report/synthetic_faces.rst",
            category="Data",
        ),
        pdf="results/figures/synthetic_faces.pdf",
    log:
        "results/logs/figures/synthetic_faces.log",
    params:
        settings=config["data"]["synthetic"],
        emotions=config["data"]["emotions"],
        columns=config["figures"]["faces_per_class"],
        dpi=config["figures"]["dpi"],
    threads: 1
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/synthetic_faces_figure.py"


rule dataset_figure:
    input:
        train=lambda w: dataset_splits()["train"],
    output:
        png=report(
            f"results/figures/dataset_{SOURCE}.png",
            caption="../report/dataset.rst",
            category="Data",
        ),
        pdf=f"results/figures/dataset_{SOURCE}.pdf",
    log:
        f"results/logs/figures/dataset_{SOURCE}.log",
    params:
        columns=config["figures"]["faces_per_class"],
        dpi=config["figures"]["dpi"],
    threads: 1
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/dataset_figure.py"


rule confusion_figure:
    input:
        metrics=classifier_file("{classifier}", "metrics"),
    output:
        png=report(
            "results/figures/confusion_{classifier}.png",
            caption="../report/confusion.rst",
            category="Classifiers",
            subcategory="{classifier}",
        ),
        pdf="results/figures/confusion_{classifier}.pdf",
    log:
        "results/logs/figures/confusion_{classifier}.log",
    params:
        dpi=config["figures"]["dpi"],
    threads: 1
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/confusion_figure.py"


rule prior_samples_figure:
    input:
        report=rules.prior_quality.output.report,
        samples=rules.prior_quality.output.samples,
    output:
        png=report("results/figures/prior_samples.png", caption="../report/prior_samples.rst", category="Prior"),
        pdf="results/figures/prior_samples.pdf",
    log:
        "results/logs/figures/prior_samples.log",
    params:
        n=50,
        dpi=config["figures"]["dpi"],
    threads: 1
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/prior_samples_figure.py"


rule uncertainty_grid_figure:
    input:
        unpack(named_inputs(lambda w: classifier_weights([w.guide]), samples=rules.sample_uncertainty.output[0],
                            realism=filled(rules.realism_scores_samples.output[0], set="uncertainty/{guide}"),
                            threshold=rules.realism_threshold.output[0])),
    output:
        png=report(
            "results/figures/pairs_uncertainty_{guide}.png",
            caption="../report/pairs_uncertainty.rst",
            category="Stimuli",
            subcategory="Uncertainty",
        ),
        pdf="results/figures/pairs_uncertainty_{guide}.pdf",
    log:
        "results/logs/figures/pairs_uncertainty_{guide}.log",
    params:
        title=lambda w: f"uncertainty guidance by {w.guide}",
        thresholds=config["filters"],
        dpi=config["figures"]["dpi"],
    threads: 1
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/pair_grid_figure.py"


rule controversial_grid_figure:
    input:
        unpack(named_inputs(lambda w: classifier_weights([w.guide_a, w.guide_b]),
                            samples=rules.sample_controversial.output[0],
                            realism=filled(rules.realism_scores_samples.output[0], set="controversial/{guide_a}-{guide_b}"),
                            threshold=rules.realism_threshold.output[0])),
    output:
        png=report(
            "results/figures/pairs_controversial_{guide_a}-{guide_b}.png",
            caption="../report/pairs_controversial.rst",
            category="Stimuli",
            subcategory="Controversial",
        ),
        pdf="results/figures/pairs_controversial_{guide_a}-{guide_b}.pdf",
    log:
        "results/logs/figures/pairs_controversial_{guide_a}-{guide_b}.log",
    params:
        title=lambda w: f"controversial guidance: {w.guide_a} says i, {w.guide_b} says j",
        thresholds=config["filters"],
        dpi=config["figures"]["dpi"],
    threads: 1
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/pair_grid_figure.py"


rule power_figure:
    input:
        rules.power_analysis.output[0],
    output:
        png=report("results/figures/power.png", caption="../report/power.rst", category="Behaviour"),
        pdf="results/figures/power.pdf",
    log:
        "results/logs/figures/power.log",
    params:
        alpha=config["behavior"]["power"]["alpha"],
        dpi=config["figures"]["dpi"],
    threads: 1
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/power_figure.py"


rule statistics_figure:
    input:
        **{key: rules.study_statistics.output[key] for key in ("per_image", "correlations", "comparisons", "outcomes")},
    output:
        png=report("results/figures/{figure}_{analysis}.png", caption="../report/statistics_figure.rst", category="Entropy statistics",
                   subcategory="{analysis}"),
        pdf="results/figures/{figure}_{analysis}.pdf",
    log:
        "results/logs/figures/{figure}_{analysis}.log",
    wildcard_constraints:
        figure="entropy_scatter|boundary_control|outcomes",
        analysis="study|null",
    params:
        figure=lambda w: w.figure,
        classifiers=CLASSIFIERS,
        confidence=config["stats"]["confidence"],
        dpi=config["figures"]["dpi"],
    threads: 1
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/statistics_figure.py"


rule graded_ambiguity_figure:
    input:
        table=rules.graded_ambiguity.output.table,
        trend=rules.graded_ambiguity.output.trend,
    output:
        png=report("results/figures/graded_ambiguity_{analysis}.png", caption="../report/graded_figure.rst",
                   category="Entropy statistics", subcategory="{analysis}"),
        pdf="results/figures/graded_ambiguity_{analysis}.pdf",
    log:
        "results/logs/figures/graded_ambiguity_{analysis}.log",
    wildcard_constraints:
        analysis="study|null|swapped",
    params:
        column=GRADED_BY,
        confidence=config["stats"]["confidence"],
        dpi=config["figures"]["dpi"],
    threads: 1
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/graded_ambiguity_figure.py"


rule alignment_figure:
    input:
        accuracy=rules.alignment_evaluation.output.accuracy,
        participants=rules.alignment_evaluation.output.participants,
        bias=rules.alignment_evaluation.output.bias_recovery,
        summary=rules.alignment_evaluation.output.summary,
    output:
        png=report("results/figures/{figure}_{classifier}.png", caption="../report/alignment_figure.rst",
                   category="Alignment"),
        pdf="results/figures/{figure}_{classifier}.pdf",
    log:
        "results/logs/figures/{figure}_{classifier}.log",
    wildcard_constraints:
        figure="alignment_accuracy|alignment_participants|alignment_bias",
    params:
        figure=lambda w: w.figure,
        emotions=config["data"]["emotions"],
        dpi=config["figures"]["dpi"],
    threads: 1
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/alignment_figure.py"


rule manipulation_figure:
    input:
        rules.manipulation.output.table,
    output:
        png=report("results/figures/manipulation_{classifier}.png", caption="../report/manipulation.rst",
                   category="Alignment"),
        pdf="results/figures/manipulation_{classifier}.pdf",
    log:
        "results/logs/figures/manipulation_{classifier}.log",
    params:
        dpi=config["figures"]["dpi"],
    threads: 1
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/manipulation_figure.py"
