"""The headline numbers of the study beside those with the swapped front-end."""

import json

from varemotion.atomic import write_atomically
from varemotion.logs import log_to_file
from varemotion.stats.comparison import compare_analyses


def main(input, params, output):
    summaries = {name: json.loads(open(input[name]).read()) for name in params["analyses"]}
    table = compare_analyses(summaries)
    print(table.to_string(index=False))
    write_atomically(output[0], lambda h: table.to_csv(h, index=False, float_format="%.6g"))


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output)
