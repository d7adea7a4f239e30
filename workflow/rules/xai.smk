# Where models look: saliency maps of the classifiers, global maps per (network, expression)
# against the facial regions of each expression, and human attention (clicks, 2AFC).


rule xai_people_images:
    input:
        unpack(people_files),
        test=lambda w: dataset_splits()["test"],
        landmarks=XAI_LANDMARKS or [],
    output:
        "results/xai/people/images.npz",
    log:
        "results/logs/xai/people_images.log",
    params:
        people=people_settings(),
        seed=XAI["seed"],
        template_size=XAI["template_size"],
        include_undetected=INCLUDE_UNDETECTED,
    threads: 1
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/xai_people_images.py"


rule saliency_maps:
    input:
        weights=classifier_file("{classifier}"),
        test=lambda w: dataset_splits()["test"],
        people=lambda w: rules.xai_people_images.output[0] if w.image_set == "people" else [],
        landmarks=lambda w: (XAI_LANDMARKS or []) if w.image_set == "global" else [],
    output:
        "results/xai/maps/{classifier}/{image_set}.npz",
    log:
        "results/logs/xai/maps_{classifier}_{image_set}.log",
    wildcard_constraints:
        image_set="global|people",
    params:
        torch_threads=TORCH_THREADS,
        image_set=lambda w: w.image_set,
        n_per_emotion=XAI["n_per_emotion"],
        settings=xai_settings(),
        include_undetected=INCLUDE_UNDETECTED,
    # Reusable across workflows with `--cache` (so it has no benchmark file: a cache hit could not fill it).
    cache: True
    threads: TORCH_THREADS
    resources:
        gpu=1,
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/saliency_maps.py"


rule global_maps:
    input:
        unpack(named_inputs(lambda w: saliency_files("global"), test=lambda w: dataset_splits()["test"],
                            landmarks=XAI_LANDMARKS or [])),
    output:
        maps="results/xai/global/maps.npz",
        template="results/xai/global/template.npz",
        scores=report("results/xai/global/scores.csv", caption="../report/xai_scores.rst", category="Where models look"),
        correlations="results/xai/global/correlations.csv",
        summary=report("results/xai/global/summary.json", caption="../report/xai_global_summary.rst", category="Where models look"),
    log:
        "results/logs/xai/global_maps.log",
    params:
        classifiers=EXPLAINED,
        methods=XAI_METHODS,
        pretrained={name: bool(config["classifiers"][name]["weights"]) for name in EXPLAINED},
        template_size=XAI["template_size"],
        include_undetected=INCLUDE_UNDETECTED,
    threads: 1
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/global_maps.py"


rule xai_people_data:
    input:
        unpack(people_files),
        images=rules.xai_people_images.output[0],
        frontend=[] if XAI["people"]["source"] == "data" else frontend_file("weights"),
    output:
        clicks="results/xai/people/clicks.csv",
        twoafc="results/xai/people/twoafc.csv",
    log:
        "results/logs/xai/people_data.log",
    params:
        people=people_settings(),
        population=config["behavior"]["observers"]["population"],
        seed=XAI["seed"],
    threads: 1
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/xai_people_data.py"


rule attention_comparison:
    input:
        unpack(named_inputs(lambda w: saliency_files("people"), images=rules.xai_people_images.output[0],
                            clicks=rules.xai_people_data.output.clicks, twoafc=rules.xai_people_data.output.twoafc)),
    output:
        attention="results/xai/people/attention.npz",
        similarity=report("results/xai/people/similarity.csv", caption="../report/xai_similarity.rst", category="Where models look"),
        twoafc_accuracy=report("results/xai/people/twoafc_accuracy.csv", caption="../report/xai_twoafc.rst", category="Where models look"),
        summary="results/xai/people/summary.json",
    log:
        "results/logs/xai/attention_comparison.log",
    params:
        classifiers=EXPLAINED,
        methods=XAI_METHODS,
        resampling={key: config["stats"][key] for key in ("n_resamples", "confidence", "seed")},
    threads: 1
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/attention_comparison.py"


rule xai_figure:
    input:
        unpack(xai_figure_inputs),
    output:
        png=report("results/figures/{figure}.png", caption="../report/xai_figure.rst", category="Where models look"),
        pdf="results/figures/{figure}.pdf",
    log:
        "results/logs/figures/{figure}.log",
    wildcard_constraints:
        figure=f"xai_iou|xai_attention|xai_similarity|xai_2afc|xai_(global_maps|dendrograms)_({'|'.join(XAI_METHODS)})",
    params:
        figure=lambda w: w.figure,
        classifiers=EXPLAINED,
        dpi=config["figures"]["dpi"],
    threads: 1
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/xai_figure.py"
