# The image prior: an unconditional diffusion model trained on the study's faces.


rule train_prior:
    input:
        train=lambda w: dataset_splits()["train"],
    output:
        # multiext: the form Snakemake's between-workflow cache needs for several output files
        multiext("results/prior/", **PRIOR_FILES),
    log:
        "results/logs/prior/train.log",
    params:
        torch_threads=TORCH_THREADS,
        kind=config["prior"]["kind"],
        settings=config["prior"]["settings"],
        train=config["prior"]["train"],
        checkpoint="results/checkpoints/prior.pt",
    # Reusable across workflows with `--cache` (no benchmark file: a cache hit could not fill it).
    cache: True
    # The longest chain (prior → sampling) starts first, so classifiers fill the cores around it.
    priority: 10
    threads: TORCH_THREADS
    resources:
        gpu=1,
        mem_mb=8000,
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/train_prior.py"


rule prior_quality:
    input:
        prior=prior_file(),
        test=lambda w: dataset_splits()["test"],
        classifier=classifier_file(BASE_CLASSIFIER),
    output:
        report=report("results/prior/quality.json", caption="../report/prior_quality.rst", category="Prior"),
        samples="results/prior/unguided.npz",
    log:
        "results/logs/prior/quality.log",
    params:
        torch_threads=TORCH_THREADS,
        classifier=BASE_CLASSIFIER,
        n_samples=config["prior"]["quality"]["n_samples"],
        # The sampler of the sample sets, unguided; image k from noise seeded sampling.seed + k.
        sampler={key: config["sampling"][key] for key in UNGUIDED_SAMPLER_OPTIONS},
        max_batch=config["sampling"]["max_batch"],
        seed=config["sampling"]["seed"],
        two_sample=config["realism"]["two_sample"],
    # Reusable across workflows with `--cache` (so it has no benchmark file: a cache hit could not fill it).
    cache: True
    threads: TORCH_THREADS
    resources:
        gpu=1,
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/prior_quality.py"
