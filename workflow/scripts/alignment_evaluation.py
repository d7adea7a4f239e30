"""Score base, group and individual models on the held-out trials; planted-bias recovery when simulated."""

import json
from pathlib import Path

from varemotion.alignment.stage import run_evaluation
from varemotion.logs import log_to_file


def main(input, params, output):
    models = {name: input[name] for name in ("base", "group", "group_soft")}
    summary = run_evaluation(models, input["individual"], input["stimuli"], input["trials"], input["test"],
                             Path(output["summary"]).parent, params["stats"], params["validation_fraction"],
                             params["seed"], observers_path=input.get("observers"))
    print(json.dumps(summary["tests"], indent=2, default=str))


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output)
