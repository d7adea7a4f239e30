# Data sets: each source becomes results/data/<source>/{train,val,test}.npz. A real source's
# training and validation faces are then split between the guides (guides/) and the observers'
# front-end (observer/), so that the front-end never learns the guides' faces.


rule synthetic_dataset:
    output:
        **{split: f"results/data/synthetic/{split}.npz" for split in SPLITS},
    log:
        "results/logs/data/synthetic.log",
    benchmark:
        "results/benchmarks/data/synthetic.tsv"
    params:
        settings=config["data"]["synthetic"],
        emotions=config["data"]["emotions"],
    threads: TORCH_THREADS
    resources:
        mem_mb=4000,
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/synthetic_dataset.py"


rule ferplus_dataset:
    # The image folders are a param, not inputs: Snakemake's between-workflow cache, used by the
    # GPU rules downstream, hashes every input file and cannot hash a folder.
    input:
        votes=lambda w: source_location("ferplus", "fer2013new.csv"),
    output:
        **{split: f"results/data/ferplus/{split}.npz" for split in SPLITS},
    log:
        "results/logs/data/ferplus.log",
    benchmark:
        "results/benchmarks/data/ferplus.tsv"
    params:
        root=lambda w: source_location("ferplus"),
        emotions=config["data"]["emotions"],
    threads: 2
    resources:
        mem_mb=4000,
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/ferplus_dataset.py"


rule fer2013_csv_dataset:
    input:
        csv=lambda w: source_location("fer2013_csv"),
    output:
        **{split: f"results/data/fer2013_csv/{split}.npz" for split in SPLITS},
    log:
        "results/logs/data/fer2013_csv.log",
    benchmark:
        "results/benchmarks/data/fer2013_csv.tsv"
    params:
        emotions=config["data"]["emotions"],
    threads: 1
    resources:
        mem_mb=4000,
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/fer2013_csv_dataset.py"


rule imagefolder_dataset:
    # The root folder is a param (settings.root), not an input: see ferplus_dataset.
    output:
        **{split: f"results/data/imagefolder/{split}.npz" for split in SPLITS},
    log:
        "results/logs/data/imagefolder.log",
    benchmark:
        "results/benchmarks/data/imagefolder.tsv"
    params:
        settings=config["data"]["imagefolder"],
        emotions=config["data"]["emotions"],
    threads: 2
    resources:
        mem_mb=4000,
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/imagefolder_dataset.py"


rule observer_faces:
    input:
        train="results/data/{source}/train.npz",
        val="results/data/{source}/val.npz",
    output:
        guides_train="results/data/{source}/guides/train.npz",
        guides_val="results/data/{source}/guides/val.npz",
        observer_train="results/data/{source}/observer/train.npz",
        observer_val="results/data/{source}/observer/val.npz",
    log:
        "results/logs/data/{source}_observer_faces.log",
    wildcard_constraints:
        source="ferplus|fer2013_csv|imagefolder",
    params:
        share=config["behavior"]["observers"]["frontend"]["data_share"],
        seed=config["behavior"]["observers"]["frontend"]["data_seed"],
    threads: 1
    resources:
        mem_mb=4000,
    conda:
        "../../envs/varemotion.yaml"
    script:
        "../scripts/observer_faces.py"
