"""Filter the sample sets and write the stimulus set: images, manifest, acceptance, PNGs."""

from varemotion.logs import log_to_file
from varemotion.models import load_classifier
from varemotion.sampling.sets import load_sample_set
from varemotion.stimuli import assemble_stimuli, write_stimuli


def main(input, params, output):
    classifiers = {name: load_classifier(path) for name, path in zip(params["classifiers"], input["classifiers"])}
    stimuli = assemble_stimuli([load_sample_set(p) for p in input["sets"]], classifiers, params["thresholds"])
    write_stimuli(stimuli, output["images"], output["manifest"], output["acceptance"], output["png"])


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output)
