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
        metrics=rules.train_classifier.output.metrics,
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
