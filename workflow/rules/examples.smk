# The built-in example of a rated face set from outside (config/morphs.yaml): morph continua drawn
# by the renderer, and simulated observers who rate faces on an intensity scale.


rule morph_example:
    output:
        images=directory(MORPH_EXAMPLE["images"]),
        table=MORPH_EXAMPLE["table"],
    log:
        "results/logs/examples/morphs.log",
    params:
        emotions=config["data"]["emotions"],
        settings=config["examples"]["morphs"],
    threads: 1
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/morph_example.py"


rule simulate_intensity_ratings:
    """The design's simulated observers rate every emotion of each face on the intensity scale."""
    input:
        design=rules.trial_design.output.design,
        logits="results/behavior/frontend/logits.csv",
    output:
        ratings=SIMULATED_INTENSITY,
        observers=str(Path(SIMULATED_INTENSITY).with_name("observers.csv")),
    log:
        "results/logs/behavior/simulated_intensity.log",
    params:
        emotions=config["data"]["emotions"],
        population=config["behavior"]["observers"]["population"],
        seed=config["behavior"]["observers"]["seed"],
        scale_max=config["behavior"]["ratings"]["intensity"]["scale_max"],
        noise_sd=config["behavior"]["observers"]["intensity_noise_sd"],
    threads: 1
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/simulate_intensity_ratings.py"
