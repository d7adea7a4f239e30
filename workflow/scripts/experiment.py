"""Export the trial design as a jsPsych experiment, a JATOS study archive and PsychoPy conditions files."""

from pathlib import Path

import pandas as pd

from varemotion.experiment import export_experiment
from varemotion.logs import log_to_file


def main(input, params, output):
    design = pd.read_csv(input["design"], dtype={"subject_id": str, "stimulus_id": str, "expected_response": str},
                         keep_default_na=False)
    images = {path.stem: path for folder in (input["stimuli"], input["catch"]) for path in Path(folder).glob("*.png")}
    export_experiment(design, images, params["emotions"], output[0], Path(input["package"][0]).parent,
                      title=params["title"], completion_url=params["completion_url"],
                      non_emotion_answers=params["non_emotion_answers"])
    print(f"experiment for {design['subject_id'].nunique()} participants written to {output[0]}")


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output)
