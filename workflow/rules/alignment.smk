# Alignment: group and individual models fine-tuned on the trial table, their evaluation, the
# manipulation test (simulated participants) and, on FER+, fine-tuning on the crowd votes.


rule finetune_group:
    input:
        base=classifier_file("{classifier}"),
        stimuli=rules.stimulus_set.output.images,
        trials=rules.trial_table.output[0],
        holdout=rules.trial_design.output.holdout,
        train=lambda w: dataset_splits()["train"],
    output:
        weights="results/alignment/{classifier}/{group_model}/weights.pt",
        config="results/alignment/{classifier}/{group_model}/config.json",
        history="results/alignment/{classifier}/{group_model}/history.json",
    log:
        "results/logs/alignment/{classifier}_{group_model}.log",
    wildcard_constraints:
        group_model="group|group_soft",
    params:
        torch_threads=TORCH_THREADS,
        settings=lambda w: alignment_settings("group"),
        soft=lambda w: w.group_model == "group_soft",
        validation_fraction=config["alignment"]["validation_fraction"],
    # Reusable across workflows with `--cache` (so it has no benchmark file: a cache hit could not fill it).
    cache: True
    threads: TORCH_THREADS
    resources:
        gpu=1,
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/finetune_group.py"


rule individual_models:
    input:
        group=group_weights(),
        stimuli=rules.stimulus_set.output.images,
        trials=rules.trial_table.output[0],
        holdout=rules.trial_design.output.holdout,
        train=lambda w: dataset_splits()["train"],
    output:
        weights="results/alignment/{classifier}/individual/weights.pt",
        history="results/alignment/{classifier}/individual/history.json",
    log:
        "results/logs/alignment/{classifier}_individual.log",
    params:
        torch_threads=TORCH_THREADS,
        settings=lambda w: alignment_settings("individual"),
        validation_fraction=config["alignment"]["validation_fraction"],
    # Reusable across workflows with `--cache` (so it has no benchmark file: a cache hit could not fill it).
    cache: True
    threads: TORCH_THREADS
    resources:
        gpu=1,
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/individual_models.py"


rule alignment_evaluation:
    input:
        unpack(alignment_models),
        stimuli=rules.stimulus_set.output.images,
        trials=rules.trial_table.output[0],
        manifest=rules.stimulus_set.output.manifest,
        holdout=rules.trial_design.output.holdout,
        test=lambda w: dataset_splits()["test"],
    output:
        participants="results/alignment/{classifier}/evaluation/participants.csv",
        accuracy=report("results/alignment/{classifier}/evaluation/accuracy.csv",
                        caption="../report/alignment_accuracy_table.rst", category="Alignment"),
        correlations="results/alignment/{classifier}/evaluation/correlations.csv",
        rho_change="results/alignment/{classifier}/evaluation/rho_change.csv",
        bias_recovery="results/alignment/{classifier}/evaluation/bias_recovery.csv",
        summary=report("results/alignment/{classifier}/evaluation/summary.json",
                       caption="../report/alignment_summary.rst", category="Alignment"),
    log:
        "results/logs/alignment/{classifier}_evaluation.log",
    params:
        validation_fraction=config["alignment"]["validation_fraction"],
        seed=config["alignment"]["seed"],
        stats=STATS_SETTINGS,
    threads: 1
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/alignment_evaluation.py"


rule manipulation:
    input:
        prior=prior_file(),
        group=group_weights(),
        individual=rules.individual_models.output.weights,
        frontend=frontend_file("weights"),
        logits=frontend_file("logits"),
        stimuli=rules.stimulus_set.output.images,
        manifest=rules.stimulus_set.output.manifest,
        observers=participants_file("simulated", "observers"),
    output:
        images="results/alignment/{classifier}/manipulation/images.npz",
        stimuli="results/alignment/{classifier}/manipulation/stimuli.csv",
        outcomes="results/alignment/{classifier}/manipulation/outcomes.csv",
        pairs="results/alignment/{classifier}/manipulation/pairs.csv",
        table=report("results/alignment/{classifier}/manipulation/summary.csv",
                     caption="../report/manipulation_table.rst", category="Alignment"),
        summary="results/alignment/{classifier}/manipulation/summary.json",
    log:
        "results/logs/alignment/{classifier}_manipulation.log",
    params:
        torch_threads=TORCH_THREADS,
        settings=config["alignment"]["manipulation"],
        sampling=sampling_params("controversial"),
        # The stimulus set's controversial filter unless the manipulation sets its own.
        min_prob=config["alignment"]["manipulation"]["min_prob"] if config["alignment"]["manipulation"]["min_prob"] is not None else config["filters"]["controversial_min_prob"],
    # Reusable across workflows with `--cache` (so it has no benchmark file: a cache hit could not fill it).
    cache: True
    threads: TORCH_THREADS
    resources:
        gpu=1,
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/manipulation.py"


rule ferplus_vote_finetune:
    input:
        base=classifier_file("{classifier}"),
        train=lambda w: dataset_splits()["train"],
        test=lambda w: dataset_splits()["test"],
    output:
        weights="results/alignment/{classifier}/votes/weights.pt",
        config="results/alignment/{classifier}/votes/config.json",
        correlations=report("results/alignment/{classifier}/votes/correlations.csv",
                            caption="../report/vote_finetune.rst", category="Alignment"),
        metrics="results/alignment/{classifier}/votes/metrics.json",
    log:
        "results/logs/alignment/{classifier}_votes.log",
    params:
        torch_threads=TORCH_THREADS,
        train={**config["train"], **config["alignment"]["votes"]},
        stats=config["stats"],
    # Reusable across workflows with `--cache` (so it has no benchmark file: a cache hit could not fill it).
    cache: True
    threads: TORCH_THREADS
    resources:
        gpu=1,
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/ferplus_vote_finetune.py"
