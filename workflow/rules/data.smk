# Data sets: each source becomes results/data/<source>/{train,val,test}.npz.


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
