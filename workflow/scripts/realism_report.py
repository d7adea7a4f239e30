"""Report the realism of real faces, the prior's samples, every sample set and the kept stimuli."""

from varemotion.logs import log_to_file
from varemotion.realism.stage import run_report
from varemotion.sampling.sets import named_set_files


def main(input, params, output):
    run_report(
        real={"images": input["test"], "reference": input["real_reference"], "heldout": input["real_heldout"]},
        unguided={"images": input["unguided"], "scores": input["unguided_scores"]},
        sample_sets=named_set_files(input, params["sets"]),
        stimuli={"images": input["stimuli"], "manifest": input["manifest"]},
        threshold_path=input["threshold"],
        out={"report": output["report"], "summary": output["summary"]},
        c2st=params["c2st"],
        n_real=params["n_real"],
    )


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output)
