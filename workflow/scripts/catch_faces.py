"""Choose the catch faces (clear test faces of each emotion) and write their images and table."""

from varemotion.behavior.catch import build_catch_set, write_catch_set
from varemotion.data import load_split
from varemotion.logs import log_to_file
from varemotion.models import load_classifier


def main(input, params, output):
    classifiers = {name: load_classifier(input[name]) for name in params["classifiers"]}
    catch = build_catch_set(load_split(input["test"]), classifiers, params["per_emotion"])
    print(catch.table.to_string(index=False))
    if not catch.table["all_agree"].all():
        print("warning: some catch faces are not predicted as their label by every classifier (see all_agree)")
    write_catch_set(catch, output["images"], output["table"], output["png"])


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output)
