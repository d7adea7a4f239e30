# Classifiers: any timm architecture, one training job per configured name.


rule train_classifier:
    input:
        unpack(dataset_splits),
    output:
        **classifier_outputs(),
    log:
        "results/logs/models/{classifier}.log",
    params:
        torch_threads=TORCH_THREADS,
        arch=lambda w: config["classifiers"][w.classifier]["arch"],
        kwargs=lambda w: config["classifiers"][w.classifier]["kwargs"],
        init_weights=lambda w: config["classifiers"][w.classifier]["weights"],
        train=train_settings,
        # Resumable state lives outside the outputs so that a failed job does not delete it.
        checkpoint=lambda w: f"results/checkpoints/models/{w.classifier}.pt",
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
