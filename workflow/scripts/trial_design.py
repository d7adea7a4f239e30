"""Assign the stimuli and catch faces to participants: the trial design and its summary."""

import json

from varemotion.atomic import write_atomically
from varemotion.behavior import DesignSettings, design_summary, design_trials
from varemotion.behavior.catch import read_catch_table
from varemotion.logs import log_to_file
from varemotion.stimuli import read_manifest


def main(input, params, output):
    stimulus_ids = read_manifest(input["manifest"])["stimulus_id"]
    catch = read_catch_table(input["catch"])
    design = design_trials(stimulus_ids, DesignSettings(**params["design"]), catch_ids=catch["catch_id"],
                           catch_labels=catch["expected_response"].tolist())
    summary = design_summary(design)
    print(json.dumps(summary, indent=2))
    write_atomically(output["design"], lambda h: design.to_csv(h, index=False))
    write_atomically(output["summary"], lambda h: h.write(json.dumps(summary, indent=2).encode()))


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output)
