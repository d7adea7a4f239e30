"""Score base, group and individual models on the held-out trials and stimuli; planted-bias recovery when simulated."""

import json

from varemotion.alignment.stage import EVALUATION_TABLES, EvaluationInputs, run_evaluation
from varemotion.logs import log_to_file


def main(input, params, output):
    models = {name: input[name] for name in ("base", "group", "group_soft")}
    files = EvaluationInputs(stimuli=input["stimuli"], trials=input["trials"], manifest=input["manifest"],
                             holdout=input["holdout"], test=input["test"], observers=input.get("observers"))
    outputs = {key: output[key] for key in (*EVALUATION_TABLES, "summary")}
    summary = run_evaluation(models, input["individual"], files, outputs, params["stats"],
                             params["validation_fraction"], params["seed"])
    print(json.dumps(summary["tests"], indent=2, default=str))


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output)
