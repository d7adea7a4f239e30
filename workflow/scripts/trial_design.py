"""Assign the stimuli and catch faces to participants: the trial design, its summary and the held-out stimuli."""

import json

from varemotion.atomic import write_csv, write_json
from varemotion.behavior import DesignSettings, design_summary, design_trials
from varemotion.behavior.catch import read_catch_table
from varemotion.behavior.holdout import holdout_stimuli, write_holdout
from varemotion.logs import log_to_file
from varemotion.stimuli import read_manifest


def main(input, params, output):
    manifest = read_manifest(input["manifest"])
    catch = read_catch_table(input["catch"])
    settings = DesignSettings(**params["design"])
    holdout = holdout_stimuli(manifest, settings.holdout_stimuli, settings.seed)
    design = design_trials(manifest["stimulus_id"], settings, catch_ids=catch["catch_id"],
                           catch_labels=catch["expected_response"].tolist(), holdout=holdout["stimulus_id"])
    summary = design_summary(design) | {"n_holdout_stimuli": len(holdout)}
    print(json.dumps(summary, indent=2))
    write_csv(output["design"], design, float_format=None)
    write_json(output["summary"], summary)
    write_holdout(holdout, output["holdout"])


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output)
