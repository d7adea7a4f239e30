"""The headline numbers of the study beside those with the swapped front-end."""

import json

from varemotion.atomic import write_csv
from varemotion.logs import log_to_file
from varemotion.stats.comparison import compare_analyses


def main(input, params, output):
    summaries = {name: json.loads(open(input[name]).read()) for name in params["analyses"]}
    table = compare_analyses(summaries)
    print(table.to_string(index=False))
    write_csv(output[0], table)


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output)
