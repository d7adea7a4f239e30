# Landmarks: 68 iBUG points of every test face by MediaPipe FaceMesh, the explainability stage's
# landmarks on real faces (`xai.landmarks: auto`); on synthetic faces a check against the renderer's.


rule face_landmarks:
    input:
        test="results/data/{source}/test.npz",
    output:
        landmarks=landmarks_table("{source}"),
        undetected=report("results/landmarks/{source}/undetected.csv", caption="../report/landmarks_undetected.rst", category="Where models look"),
        summary=report("results/landmarks/{source}/summary.json", caption="../report/landmarks_summary.rst", category="Where models look"),
    log:
        "results/logs/landmarks/{source}.log",
    benchmark:
        "results/benchmarks/landmarks/{source}.tsv"
    wildcard_constraints:
        source="synthetic|ferplus|fer2013_csv|imagefolder",
    params:
        settings=config["landmarks"],
    threads: 1
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/face_landmarks.py"


rule landmarks_figure:
    input:
        test=rules.face_landmarks.input.test,
        landmarks=rules.face_landmarks.output.landmarks,
    output:
        png=report("results/figures/landmarks_{source}.png", caption="../report/landmarks_figure.rst", category="Where models look"),
        pdf="results/figures/landmarks_{source}.pdf",
    log:
        "results/logs/figures/landmarks_{source}.log",
    wildcard_constraints:
        source="synthetic|ferplus|fer2013_csv|imagefolder",
    params:
        columns=config["figures"]["faces_per_class"],
        dpi=config["figures"]["dpi"],
    threads: 1
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/landmarks_figure.py"
