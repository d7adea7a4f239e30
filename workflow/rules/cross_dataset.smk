# Cross-data-set evaluation: every classifier scored on the test split of other configured data
# sets (`cross_dataset.sources`), emotions matched by name.


rule cross_dataset_split:
    # The source's folder or file is a param, not an input: see ferplus_dataset.
    output:
        "results/cross_dataset/{source}/test.npz",
    log:
        "results/logs/cross_dataset/{source}_split.log",
    wildcard_constraints:
        source="synthetic|ferplus|fer2013_csv|imagefolder",
    params:
        source=lambda w: w.source,
        settings=lambda w: config["data"][w.source],
    threads: TORCH_THREADS
    resources:
        mem_mb=4000,
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/cross_dataset_split.py"


rule cross_dataset_evaluation:
    input:
        unpack(named_inputs(classifier_weights(CLASSIFIERS), test=rules.cross_dataset_split.output[0])),
    output:
        metrics=report("results/cross_dataset/{source}/metrics.csv", caption="../report/cross_dataset_metrics.rst", category="Cross-data-set evaluation"),
        confusion="results/cross_dataset/{source}/confusion.csv",
        emotions=report("results/cross_dataset/{source}/emotions.csv", caption="../report/cross_dataset_emotions.rst", category="Cross-data-set evaluation"),
        summary="results/cross_dataset/{source}/summary.json",
    log:
        "results/logs/cross_dataset/{source}_evaluation.log",
    wildcard_constraints:
        source="synthetic|ferplus|fer2013_csv|imagefolder",
    params:
        classifiers=CLASSIFIERS,
        torch_threads=TORCH_THREADS,
    threads: TORCH_THREADS
    resources:
        gpu=1,
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/cross_dataset_evaluation.py"


rule cross_dataset_figure:
    input:
        metrics=rules.cross_dataset_evaluation.output.metrics,
        confusion=rules.cross_dataset_evaluation.output.confusion,
        emotions=rules.cross_dataset_evaluation.output.emotions,
    output:
        png=report("results/figures/cross_dataset_{source}.png", caption="../report/cross_dataset_figure.rst", category="Cross-data-set evaluation"),
        pdf="results/figures/cross_dataset_{source}.pdf",
    log:
        "results/logs/figures/cross_dataset_{source}.log",
    wildcard_constraints:
        source="synthetic|ferplus|fer2013_csv|imagefolder",
    params:
        dpi=config["figures"]["dpi"],
    threads: 1
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/cross_dataset_figure.py"
