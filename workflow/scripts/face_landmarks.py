"""68-point landmarks of every test face, the faces without a detection, and a summary."""

from varemotion.landmarks.stage import run_face_landmarks
from varemotion.logs import log_to_file


def main(input, params, output):
    run_face_landmarks(input["test"], output, params["settings"])


log_to_file(snakemake.log[0])
main(snakemake.input, snakemake.params, snakemake.output)
