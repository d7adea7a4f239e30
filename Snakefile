# varemotion: human perceptual variability on facial expressions, studied with faces
# synthesised on the decision boundaries of neural networks.
from pathlib import Path

from snakemake.utils import min_version

from varemotion.locks import record_lock_holder, release_stale_lock

min_version("9.0")

# A run killed outright leaves its lock behind: removed here once that run's process is gone,
# so that rerunning needs no `--unlock`.
release_stale_lock()


onstart:
    record_lock_holder()


# The embedded default, found next to this file from any working directory;
# `--configfile` merges a user's settings over it.
configfile: Path(workflow.basedir) / "config" / "config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/classifiers.smk"
include: "workflow/rules/cross_dataset.smk"
include: "workflow/rules/prior.smk"
include: "workflow/rules/precomputed.smk"
include: "workflow/rules/sampling.smk"
include: "workflow/rules/external.smk"
include: "workflow/rules/realism.smk"
include: "workflow/rules/behavior.smk"
include: "workflow/rules/examples.smk"
include: "workflow/rules/statistics.smk"
include: "workflow/rules/alignment.smk"
include: "workflow/rules/landmarks.smk"
include: "workflow/rules/xai.smk"
include: "workflow/rules/figures.smk"


rule all:
    default_target: True
    input:
        get_final_outputs(),
