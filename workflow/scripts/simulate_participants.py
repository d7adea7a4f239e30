"""Simulated participants answer the trial design (or, in the null variant, ignore the faces)."""

import json

import pandas as pd

from varemotion.atomic import write_json
from varemotion.behavior.frontend import read_logits
from varemotion.behavior.simulated_study import population_from_config, simulate_study, write_simulated_study
from varemotion.logs import log_to_file


def main(input, params, output):
    design = pd.read_csv(input["design"], dtype={"subject_id": str, "stimulus_id": str}, keep_default_na=False)
    logits = read_logits(input["logits"], params["emotions"])
    study = simulate_study(design, logits, population_from_config(params["population"]), params["seed"],
                           null=params["null"])
    summary = study.summary() | {"null": bool(params["null"])}
    print(json.dumps(summary, indent=2))
    write_simulated_study(study, output["trials"], output["catch"], output["observers"])
    write_json(output["summary"], summary)


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output)
