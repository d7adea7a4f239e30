# Statistics: the per-image table and the tests of the study, on the trial table (analysis
# "study") and, with simulated participants, on the null variant (analysis "null") and on
# observers with the other front-end (analysis "swapped").


rule study_statistics:
    input:
        trials=lambda w: analysis_trials(w.analysis),
        catch=lambda w: analysis_catch(w.analysis),
        manifest=rules.stimulus_set.output.manifest,
    output:
        per_image=report("results/stats/{analysis}/per_image.csv", caption="../report/per_image.rst", category="Entropy statistics"),
        correlations=report("results/stats/{analysis}/correlations.csv", caption="../report/correlations.rst", category="Entropy statistics"),
        correlations_within="results/stats/{analysis}/correlations_within.csv",
        entropy_by_kind="results/stats/{analysis}/entropy_by_kind.csv",
        comparisons="results/stats/{analysis}/comparisons.csv",
        outcomes="results/stats/{analysis}/outcomes.csv",
        agreement="results/stats/{analysis}/agreement.csv",
        mixed_model="results/stats/{analysis}/mixed_model.csv",
        mixed_model_text="results/stats/{analysis}/mixed_model.txt",
        non_emotion_answers="results/stats/{analysis}/non_emotion_answers.csv",
        summary=report("results/stats/{analysis}/summary.json", caption="../report/summary.rst", category="Entropy statistics"),
    log:
        "results/logs/stats/{analysis}.log",
    benchmark:
        "results/benchmarks/stats/{analysis}.tsv"
    wildcard_constraints:
        analysis="study|null|swapped",
    params:
        emotions=config["data"]["emotions"],
        classifiers=CLASSIFIERS,
        stats=STATS_SETTINGS,
    threads: 1
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/study_statistics.py"


rule graded_ambiguity:
    """Human and model entropy per level of a numeric column of the stimulus table (`stats.graded_by`)."""
    input:
        per_image=rules.study_statistics.output.per_image,
    output:
        table=report("results/stats/{analysis}/graded.csv", caption="../report/graded.rst",
                     category="Entropy statistics"),
        trend="results/stats/{analysis}/graded_trend.csv",
    log:
        "results/logs/stats/graded_{analysis}.log",
    wildcard_constraints:
        analysis="study|null|swapped",
    params:
        column=GRADED_BY,
        classifiers=CLASSIFIERS,
        resampling={key: config["stats"][key] for key in ("n_resamples", "confidence", "seed")},
    threads: 1
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/graded_ambiguity.py"


rule frontend_comparison:
    input:
        **{analysis: filled(rules.study_statistics.output.summary, analysis=analysis) for analysis in ("study", "swapped")},
    output:
        report("results/stats/frontend_comparison.csv", caption="../report/frontend_comparison.rst", category="Entropy statistics"),
    log:
        "results/logs/stats/frontend_comparison.log",
    params:
        analyses=["study", "swapped"],
    threads: 1
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/compare_analyses.py"


rule ferplus_vote_statistics:
    input:
        unpack(named_inputs(classifier_weights(CLASSIFIERS), test=lambda w: dataset_splits()["test"])),
    output:
        per_image="results/stats/ferplus_votes/per_image.csv",
        correlations=report("results/stats/ferplus_votes/correlations.csv", caption="../report/ferplus_votes.rst", category="Entropy statistics"),
    log:
        "results/logs/stats/ferplus_votes.log",
    params:
        classifiers=CLASSIFIERS,
        stats=STATS_SETTINGS,
    threads: 1
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/ferplus_vote_statistics.py"
