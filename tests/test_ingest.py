"""Ingesting human ratings: reading trial tables, and several rating files checked together."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from varemotion.behavior import (
    TRIAL_COLUMNS,
    ingest,
    read_jspsych,
    read_trial_table,
    read_vote_counts,
)
from helpers import RATING_EMOTIONS as EMOTIONS, S1, S2, S3, STIMULI, VOTES_HEADER, assert_message, error_of, jspsych_records, write
from varemotion.data import DataError

HEADER = "subject_id,stimulus_id,response,rt_ms"


def table_file(directory: Path, *rows: str, name="trials.csv", header=HEADER) -> Path:
    return write(directory, name, "\n".join([header, *rows]) + "\n")


def hashes(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir()) if p.is_file()}


# --- trial tables -------------------------------------------------------------------------------


def test_trial_table_reads_names_in_any_case_and_indices(tmp_path):
    path = table_file(tmp_path, f"p1,{S1}, Happiness ,512", f"p1,{S2},SADNESS,600.5", "", f"p2,{S1},neutral,0")
    trials = read_trial_table(path, EMOTIONS, STIMULI)
    assert list(trials.columns) == TRIAL_COLUMNS
    assert trials["response"].tolist() == ["happiness", "sadness", "neutral"]
    assert trials["rt_ms"].tolist() == [512.0, 600.5, 0.0] and trials["is_train"].all()
    assert trials["is_train"].dtype == bool and trials["rt_ms"].dtype == np.float64

    tsv = write(tmp_path, "indices.tsv", f"subject_id\tstimulus_id\tresponse\tis_train\n"
                                         f"p1\t{S1}\t1\tno\np1\t{S2}\t2\tYes\n")
    trials = read_trial_table(tsv, EMOTIONS, STIMULI)
    assert trials["response"].tolist() == ["happiness", "sadness"]
    assert trials["is_train"].tolist() == [False, True] and trials["rt_ms"].isna().all()

    sniffed = write(tmp_path, "semicolons.txt", f"subject_id;stimulus_id;response\np1;{S3};0\n")
    assert read_trial_table(sniffed, EMOTIONS, STIMULI)["response"].tolist() == ["neutral"]


def test_column_map_reads_other_column_names(tmp_path):
    path = table_file(tmp_path, f"p1,{S1},happiness,700", header="Participant,Image,Choice,RT")
    column_map = {"subject_id": "Participant", "stimulus_id": "Image", "response": "Choice", "rt_ms": "RT"}
    trials = read_trial_table(path, EMOTIONS, STIMULI, column_map=column_map)
    assert trials.iloc[0].tolist() == ["p1", S1, "happiness", 700.0, True]

    unknown_key = r"column_map: 'subject' is not a column this format reads; did you mean 'subject_id'\?"
    with pytest.raises(ValueError, match=unknown_key):
        read_trial_table(path, EMOTIONS, STIMULI, column_map={"subject": "Participant"})
    with pytest.raises(ValueError, match=r"\['subject_id', 'stimulus_id'\] all read the column 'Image'"):
        read_trial_table(path, EMOTIONS, STIMULI, column_map={"subject_id": "Image", "stimulus_id": "Image"})
    error = error_of(read_trial_table, path, column_map=column_map | {"subject_id": "Particpant"})
    assert (error.row, error.column) == (1, "Particpant")
    assert_message(error, "trials.csv, line 1, column 'Particpant': column is missing from the header",
                   "column_map reads 'subject_id' from it", "did you mean 'Participant'?")


def test_missing_column(tmp_path):
    path = table_file(tmp_path, f"p1,{S1},happiness", header="subject_id,stimulus,response")
    error = error_of(read_trial_table, path)
    assert (Path(error.path).name, error.row, error.column) == ("trials.csv", 1, "stimulus_id")
    assert_message(error, "trials.csv, line 1, column 'stimulus_id': column is missing from the header",
                   "did you mean 'stimulus'?", "found ['subject_id', 'stimulus', 'response']")

    semicolons = write(tmp_path, "excel.csv", f"subject_id;stimulus_id;response\np1;{S1};happiness\n")
    assert_message(error_of(read_trial_table, semicolons), "excel.csv, line 1, column 'subject_id'",
                   "is the file separated by semicolons?")


def test_unknown_stimulus_id(tmp_path):
    path = table_file(tmp_path, f"p1,{S1},happiness,500", "p1,uncertainty-a-0002,happiness,500")
    error = error_of(read_trial_table, path)
    assert (error.row, error.column, error.value) == (3, "stimulus_id", "uncertainty-a-0002")
    assert_message(error, "trials.csv, line 3, column 'stimulus_id': value 'uncertainty-a-0002' is not a stimulus"
                          " of the set; did you mean 'uncertainty-a-00002'?", "3 stimuli")


def test_unknown_response_label_and_index_out_of_range(tmp_path):
    error = error_of(read_trial_table, table_file(tmp_path, f"p1,{S1},happy,500"))
    assert (error.row, error.column, error.value) == (2, "response", "happy")
    assert_message(error, "trials.csv, line 2, column 'response': value 'happy' is not an emotion;"
                          " did you mean 'happiness'?", "0=neutral, 1=happiness, 2=sadness")

    error = error_of(read_trial_table, table_file(tmp_path, f"p1,{S1},1,500", f"p1,{S2},3,500"))
    assert (error.row, error.column, error.value) == (3, "response", "3")
    assert_message(error, "trials.csv, line 3, column 'response': value '3' is out of range:"
                          " the index must be 0 to 2 for 3 emotions")
    error = error_of(read_trial_table, table_file(tmp_path, f"p1,{S1},-1,500"))
    assert_message(error, "line 2, column 'response': value '-1' is out of range")


def test_empty_file_and_header_only(tmp_path):
    error = error_of(read_trial_table, write(tmp_path, "empty.csv", b""))
    assert_message(error, "empty.csv: is empty (0 bytes)", "expected a CSV or TSV table with a header line")
    error = error_of(read_trial_table, write(tmp_path, "header.csv", HEADER + "\n\n\n"))
    assert error.row == 1
    assert_message(error, "header.csv, line 1: has a header but no rows below it")
    assert_message(error_of(read_trial_table, write(tmp_path, "blank.csv", "\n" + HEADER + "\n")),
                   "blank.csv, line 1: is blank (expected a header line naming the columns)")
    assert_message(error_of(read_trial_table, write(tmp_path, "spaces.csv", "\ufeff \r\n\t\n")),
                   "spaces.csv: holds only white space")


def test_duplicate_trial_names_both_lines(tmp_path):
    path = table_file(tmp_path, f"p1,{S1},happiness,500", f"p2,{S1},sadness,400", f"p1,{S1},neutral,450")
    error = error_of(read_trial_table, path)
    assert (error.row, error.column, error.value) == (4, "stimulus_id", S1)
    assert_message(error, f"trials.csv, line 4, column 'stimulus_id': value '{S1}' is rated twice by subject 'p1':"
                          " here and at line 2 (expected one trial per subject and stimulus)")


def test_reaction_time_not_a_number_negative_or_partly_blank(tmp_path):
    error = error_of(read_trial_table, table_file(tmp_path, f"p1,{S1},happiness,512", f"p1,{S2},happiness,fast"))
    assert (error.row, error.column, error.value) == (3, "rt_ms", "fast")
    assert_message(error, "trials.csv, line 3, column 'rt_ms': value 'fast' is not a number",
                   "a reaction time in milliseconds ≥ 0")
    error = error_of(read_trial_table, table_file(tmp_path, f"p1,{S1},happiness,-12.5"))
    assert_message(error, "trials.csv, line 2, column 'rt_ms': value '-12.5' is negative")
    error = error_of(read_trial_table, table_file(tmp_path, f"p1,{S1},happiness,512", f"p1,{S2},happiness,"))
    assert_message(error, "line 3, column 'rt_ms': value '' is blank while other rows have a reaction time")
    decimal_comma = write(tmp_path, "comma.tsv", f"subject_id\tstimulus_id\tresponse\trt_ms\np1\t{S1}\t1\t512,5\n")
    assert_message(error_of(read_trial_table, decimal_comma), "line 2, column 'rt_ms': value '512,5' is not a number")


def test_subject_without_trials_and_blank_subject(tmp_path):
    path = table_file(tmp_path, f"p1,{S1},happiness,500", "p2,,,", "p2,,,", f"p3,{S1},sadness,300")
    error = error_of(read_trial_table, path)
    assert (error.row, error.column, error.value) == (3, "subject_id", "p2")
    assert_message(error, "trials.csv, line 3, column 'subject_id': value 'p2' is a subject without trials:"
                          " none of its rows (lines 3, 4) has a 'stimulus_id'")

    error = error_of(read_trial_table, table_file(tmp_path, f"p1,{S1},happiness,500", f",{S2},sadness,300"))
    assert (error.row, error.column, error.value) == (3, "subject_id", "")
    assert_message(error, "trials.csv, line 3, column 'subject_id': value '' is blank")
    error = error_of(read_trial_table, table_file(tmp_path, f"p1,{S1},happiness,500", "p1,,sadness,300"))
    assert_message(error, "trials.csv, line 3, column 'stimulus_id': value '' is blank")


def test_names_and_indices_mixed_in_one_file(tmp_path):
    path = table_file(tmp_path, f"p1,{S1},happiness,500", f"p1,{S2},Sadness,500", f"p1,{S3},0,500")
    error = error_of(read_trial_table, path)
    assert (error.row, error.column, error.value) == (4, "response", "0")
    assert_message(error, "trials.csv, line 4, column 'response': value '0' is a 0-based index,"
                          " but line 2 gives an emotion name ('happiness')", "one kind of label per file")


def test_file_that_is_not_utf8(tmp_path):
    latin1 = f"{HEADER}\np1,{S1},happiness,500\nZoé,{S2},sadness,400\n".encode("latin-1")
    error = error_of(read_trial_table, write(tmp_path, "latin1.csv", latin1))
    assert error.row == 3
    assert_message(error, "latin1.csv, line 3: byte 0xe9 at character 3 of the line is not UTF-8",
                   "Latin-1", "save the file again with the UTF-8 encoding")

    utf16 = f"{HEADER}\np1,{S1},happiness,500\n".encode("utf-16")
    assert utf16.startswith(b"\xff\xfe") and utf16[3:4] == b"\x00"
    error = error_of(read_trial_table, write(tmp_path, "utf16.csv", utf16))
    assert_message(error, "utf16.csv, line 1: is UTF-16 text", "not UTF-8")
    assert_message(error_of(read_jspsych, write(tmp_path, "utf16.json", json.dumps([]).encode("utf-16"))),
                   "utf16.json, line 1: is UTF-16 text")


def test_file_that_is_not_a_table(tmp_path):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x000"
    assert_message(error_of(read_trial_table, write(tmp_path, "face.csv", png)),
                   "face.csv: is a PNG image, not a text file")
    noise = np.random.default_rng(0).integers(0, 256, 2000, dtype=np.uint8).tobytes()
    error = error_of(read_trial_table, write(tmp_path, "noise.tsv", noise))
    assert_message(error, "noise.tsv, line", "holds NUL bytes: it is binary data, not a text file")
    xlsx = b"PK\x03\x04\x14\x00\x06\x00" + bytes(40)
    assert_message(error_of(read_trial_table, write(tmp_path, "ratings.csv", xlsx)), "ratings.csv: is a ZIP archive",
                   "Excel .xlsx")
    as_json = write(tmp_path, "trials.csv", json.dumps(jspsych_records()))
    assert_message(error_of(read_trial_table, as_json), "trials.csv: is JSON, not a CSV or TSV table")
    assert_message(error_of(read_vote_counts, as_json), "trials.csv: is JSON, not a CSV or TSV table")
    ragged = table_file(tmp_path, f"p1,{S1},happiness,1,500")
    assert_message(error_of(read_trial_table, ragged), "trials.csv, line 2: has 5 fields but the header has 4")
    assert_message(error_of(read_trial_table, tmp_path / "missing.csv"), "missing.csv: file does not exist")


# --- several files ------------------------------------------------------------------------------


def test_ingest_concatenates_and_checks_across_files(tmp_path):
    a = table_file(tmp_path, f"p1,{S1},happiness,500", name="a.csv")
    b = table_file(tmp_path, f"p2,{S1},sadness,400", f"p2,{S2},Happiness,300", name="b.csv")
    c = write(tmp_path, "c.tsv", f"subject_id\tstimulus_id\tresponse\trt_ms\np2\t{S3}\t1\t100\np1\t{S1}\t0\t900\n")
    trials = ingest([a, b], "table", EMOTIONS, STIMULI)
    assert trials["subject_id"].tolist() == ["p1", "p2", "p2"]
    assert trials["response"].tolist() == ["happiness", "sadness", "happiness"]

    with pytest.raises(DataError) as info:
        ingest([a, b, c], "table", EMOTIONS, STIMULI)
    assert (Path(info.value.path).name, info.value.row) == ("c.tsv", 3)
    assert_message(info.value, f"c.tsv, line 3, column 'stimulus_id': value '{S1}' is rated twice by subject 'p1':"
                               f" here and at line 2 of {a}")

    v1 = write(tmp_path, "v1.csv", f"{VOTES_HEADER}\n{S1},1,1,0,0,0\n")
    v2 = write(tmp_path, "v2.csv", f"{VOTES_HEADER}\n{S2},0,1,0,0,0\n{S1},1,0,0,0,0\n")
    with pytest.raises(DataError, match=rf"v2.csv, line 3, column 'stimulus_id': value '{S1}' has votes on two rows:"
                                        rf" here and at line 2 of .*v1.csv"):
        ingest([v1, v2], "votes", EMOTIONS, STIMULI)
    assert len(ingest([v1], "votes", EMOTIONS, STIMULI)) == 2

    p1 = write(tmp_path, "p1.json", json.dumps(jspsych_records("p1")))
    p2 = write(tmp_path, "p2.json", json.dumps(jspsych_records("p2")))
    assert sorted(set(ingest([p1, p2], "jspsych", EMOTIONS, STIMULI)["subject_id"])) == ["p1", "p2"]

    with pytest.raises(ValueError, match="unknown format 'excel'"):
        ingest([a], "excel", EMOTIONS, STIMULI)
    with pytest.raises(ValueError, match="is given twice"):
        ingest([a, tmp_path / "." / "a.csv"], "table", EMOTIONS, STIMULI)
    with pytest.raises(ValueError, match="no files to ingest"):
        ingest([], "table", EMOTIONS, STIMULI)
    with pytest.raises(ValueError, match="takes no options"):
        ingest([a], "table", EMOTIONS, STIMULI, subject_id="p1")


def test_input_files_are_never_modified(tmp_path):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    good = table_file(inputs, f"p1,{S1},happiness,500", name="good.csv")
    bad = table_file(inputs, f"p1,{S1},happiness,500", f"p1,{S1},sadness,400", name="bad.csv")
    latin1 = write(inputs, "latin1.csv", f"{HEADER}\nZoé,{S1},sadness,400\n".encode("latin-1"))
    votes = write(inputs, "votes.csv", f"{VOTES_HEADER}\n{S1},1,2,0,0,0\n")
    jspsych = write(inputs, "p1.json", json.dumps(jspsych_records()))
    before = hashes(inputs)
    read_trial_table(good, EMOTIONS, STIMULI)
    read_vote_counts(votes, EMOTIONS, STIMULI)
    read_jspsych(jspsych, EMOTIONS, STIMULI)
    for path in (bad, latin1):
        with pytest.raises(DataError):
            ingest([good, path], "table", EMOTIONS, STIMULI)
    assert hashes(inputs) == before
