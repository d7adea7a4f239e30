"""Read the user's rating files into the canonical trial table (checked; nothing written on error)."""

from varemotion.behavior.ratings import run_ingest_ratings
from varemotion.logs import log_to_file


def main(input, params, output):
    run_ingest_ratings(list(input["ratings"]), input["manifest"], input["holdout"],
                       {key: output[key] for key in ("trials", "catch", "participants")}, params)


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output)
