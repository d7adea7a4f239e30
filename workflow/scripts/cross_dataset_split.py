"""The test split of another data set, with every emotion it has, for the cross-data-set evaluation."""

from varemotion.data import save_split
from varemotion.data.any_source import load_test_split
from varemotion.logs import log_to_file


def main(source, settings, output):
    save_split(output, load_test_split(source, settings))


log_to_file(snakemake.log[0])
main(snakemake.params["source"], snakemake.params["settings"], snakemake.output[0])
