# A rated face set from outside: the stimulus set read from a folder and a stimulus table
# (`stimuli.source: folder`), under the rule name of the generated set (sampling.smk), so that
# every later stage reads either the same way.

if not GENERATED:

    rule stimulus_set:
        input:
            unpack(named_inputs(classifier_weights(CLASSIFIERS), images=FOLDER["images"], table=FOLDER["table"])),
        output:
            images="results/stimuli/images.npz",
            manifest=report("results/stimuli/manifest.csv", caption="../report/manifest.rst", category="Stimuli"),
            acceptance=report("results/stimuli/acceptance.csv", caption="../report/acceptance.rst", category="Stimuli"),
            png=directory("results/stimuli/png"),
        log:
            "results/logs/stimuli/stimulus_set.log",
        benchmark:
            "results/benchmarks/stimuli/stimulus_set.tsv"
        params:
            classifiers=CLASSIFIERS,
            crop_box=FOLDER["crop_box"],
        threads: TORCH_THREADS
        conda:
            "../../envs/varemotion.yaml"
        script:
            "../scripts/external_stimulus_set.py"
