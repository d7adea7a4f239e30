"""Human attention from click-to-reveal trials and two-alternative forced choice, for people and models."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers import POPULATION, from_schema
from varemotion.behavior.simulation import ObserverPopulation, sample_observers
from varemotion.data import DataError
from varemotion.xai.attention import (
    CLICK_COLUMNS,
    attention_maps,
    read_clicks,
    reveal_density,
    reveal_mask,
    simulate_clicks,
    trials_per_image,
)
from varemotion.xai.similarity import map_similarity, shuffled_similarity
from varemotion.xai.twoafc import (
    TWOAFC_COLUMNS,
    design_twoafc,
    model_twoafc,
    percent_correct,
    read_twoafc,
    simulate_twoafc,
    target_share,
)

EMOTIONS = ("anger", "happiness", "sadness")
STIMULI = ["s1", "s2", "s3"]
SHAPE = (20, 32)
CLICK_HEADER = "subject_id,stimulus_id,click,x,y,radius,response"
GOOD_CLICKS = ["p1,s1,1,4,5,2,anger", "p1,s1,2,10.5,6,2,anger", "p2,s1,1,31,19,3,Happiness", "p2,s2,1,0,0,2,sadness"]
TWOAFC_HEADER = "subject_id,stimulus_id,target,foil,response"
GOOD_TWOAFC = ["p1,s1,anger,sadness,anger", "p1,s2,happiness,anger,anger", "p2,s1,anger,happiness,Anger"]


def disc(shape, x, y, r) -> np.ndarray:
    rows, cols = np.mgrid[: shape[0], : shape[1]]
    return np.hypot(cols - x, rows - y) <= r


def clicks_frame(*rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(CLICK_COLUMNS))


def write(tmp_path: Path, header: str, rows: list[str], name: str) -> Path:
    path = tmp_path / name
    path.write_bytes(("\n".join([header, *rows]) + "\n").encode())
    return path


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# Attention maps from hand-made clicks.

def test_one_click_reveals_exactly_a_disc():
    clicks = clicks_frame(("p1", "s1", 1, 5.0, 5.0, 2.0, "anger"))
    expected = disc((11, 11), 5, 5, 2)
    assert expected.sum() == 13
    assert np.array_equal(reveal_density(clicks, ["s1"], (11, 11))[0], expected.astype(float))
    maps = attention_maps(clicks, ["s1"], (11, 11))
    assert maps.dtype == np.float32 and maps.shape == (1, 11, 11)
    assert np.array_equal(maps[0], expected.astype(np.float32))


def test_density_counts_each_trial_once_then_min_max():
    shape = (12, 16)
    clicks = clicks_frame(("p1", "s1", 1, 3.0, 5.0, 2.0, "anger"), ("p1", "s1", 2, 4.0, 5.0, 2.0, "anger"),
                          ("p2", "s1", 1, 6.0, 5.0, 2.0, "happiness"), ("p1", "s2", 1, 12.0, 3.0, 1.5, "sadness"),
                          ("p2", "s2", 1, 3.0, 8.0, 1.5, "sadness"))
    first = disc(shape, 3, 5, 2) | disc(shape, 4, 5, 2)
    second = disc(shape, 6, 5, 2)
    density = reveal_density(clicks, STIMULI, shape)
    assert np.array_equal(density[0], (first.astype(float) + second) / 2)
    assert set(np.unique(density[0])) == {0.0, 0.5, 1.0}
    assert density[1].max() == 0.5  # two trials with disjoint discs
    maps = attention_maps(clicks, STIMULI, shape)
    assert np.array_equal(maps[0], density[0])
    assert np.array_equal(maps[1], (density[1] > 0).astype(np.float32))
    assert not maps[2].any()
    assert trials_per_image(clicks, STIMULI).tolist() == [2, 2, 0]


def test_discs_are_clipped_at_the_border():
    mask = reveal_mask([0.0], [0.0], [2.0], (5, 5))
    assert np.array_equal(mask, disc((5, 5), 0, 0, 2))


def test_maps_reject_unknown_stimuli():
    with pytest.raises(ValueError, match="not in stimulus_ids"):
        attention_maps(clicks_frame(("p1", "s9", 1, 1.0, 1.0, 1.0, "anger")), STIMULI, SHAPE)


# Reading click and 2AFC files.

def test_read_clicks_types_and_leaves_file_alone(tmp_path):
    path = write(tmp_path, CLICK_HEADER, GOOD_CLICKS, "clicks.csv")
    before = sha(path)
    clicks = read_clicks(path, STIMULI, EMOTIONS, SHAPE)
    assert list(clicks.columns) == list(CLICK_COLUMNS)
    assert clicks["response"].tolist() == ["anger", "anger", "happiness", "sadness"]
    assert clicks["click"].tolist() == [1, 2, 1, 1] and clicks["x"].tolist() == [4.0, 10.5, 31.0, 0.0]
    assert sha(path) == before


def test_read_clicks_column_map_and_tsv(tmp_path):
    rows = [r.replace(",", "\t") for r in GOOD_CLICKS]
    path = write(tmp_path, CLICK_HEADER.replace(",", "\t").replace("radius", "r"), rows, "clicks.tsv")
    clicks = read_clicks(path, STIMULI, EMOTIONS, SHAPE, column_map={"radius": "r"})
    assert clicks["radius"].tolist() == [2.0, 2.0, 3.0, 2.0]


BAD_CLICKS = [  # (row replaced, line of the error, column, value, words of the problem)
    ("p1,s1,1,abc,5,2,anger", 2, "x", "abc", "is not a number"),
    ("p1,s1,1,,5,2,anger", 2, "x", "", "is blank"),
    ("p1,s1,1,4,inf,2,anger", 2, "y", "inf", "is not a finite number"),
    ("p1,s1,1,4,5,0,anger", 2, "radius", "0", "is not above 0"),
    ("p1,s1,1,4,5,-3,anger", 2, "radius", "-3", "is not above 0"),
    ("p1,s1,1,32,5,2,anger", 2, "x", "32", "outside the image"),
    ("p1,s1,1,4,-0.5,2,anger", 2, "y", "-0.5", "outside the image"),
    ("p1,s1,1.5,4,5,2,anger", 2, "click", "1.5", "not a whole number"),
    ("p1,s1,0,4,5,2,anger", 2, "click", "0", "below 1"),
    ("p1,s1,bored,4,5,2,anger", 2, "click", "bored", "is not a number"),
    ("p1,s1,1,4,5,2,bored", 2, "response", "bored", "is not an emotion"),
    ("p1,s9,1,4,5,2,anger", 2, "stimulus_id", "s9", "is not a stimulus of the set"),
]


@pytest.mark.parametrize("row, line, column, value, problem", BAD_CLICKS)
def test_read_clicks_locates_bad_values(tmp_path, row, line, column, value, problem):
    path = write(tmp_path, CLICK_HEADER, [row, *GOOD_CLICKS[1:]], "clicks.csv")
    before = sha(path)
    with pytest.raises(DataError) as info:
        read_clicks(path, STIMULI, EMOTIONS, SHAPE)
    message = str(info.value)
    for part in (str(path), f"line {line}", f"column {column!r}", f"value {value!r}", problem):
        assert part in message, f"{part!r} not in {message!r}"
    assert sha(path) == before


def test_read_clicks_locates_repeated_click_and_changed_response(tmp_path):
    repeated = write(tmp_path, CLICK_HEADER, [*GOOD_CLICKS, "p1,s1,2,7,7,2,anger"], "repeated.csv")
    with pytest.raises(DataError) as info:
        read_clicks(repeated, STIMULI, EMOTIONS, SHAPE)
    for part in (str(repeated), "line 6", "column 'click'", "value '2'", "line 3"):
        assert part in str(info.value)
    changed = write(tmp_path, CLICK_HEADER, [*GOOD_CLICKS, "p1,s1,3,7,7,2,sadness"], "changed.csv")
    with pytest.raises(DataError) as info:
        read_clicks(changed, STIMULI, EMOTIONS, SHAPE)
    for part in (str(changed), "line 6", "column 'response'", "value 'sadness'", "'anger' at line 2"):
        assert part in str(info.value)


def test_read_clicks_names_a_missing_column(tmp_path):
    path = write(tmp_path, CLICK_HEADER.replace(",radius", ""), [r.rsplit(",", 2)[0] + ",anger" for r in GOOD_CLICKS],
                 "clicks.csv")
    with pytest.raises(DataError) as info:
        read_clicks(path, STIMULI, EMOTIONS, SHAPE)
    for part in (str(path), "line 1", "column 'radius'", "missing"):
        assert part in str(info.value)


def test_read_twoafc(tmp_path):
    path = write(tmp_path, TWOAFC_HEADER, GOOD_TWOAFC, "twoafc.csv")
    before = sha(path)
    trials = read_twoafc(path, STIMULI, EMOTIONS)
    assert list(trials.columns) == list(TWOAFC_COLUMNS)
    assert trials["response"].tolist() == ["anger", "anger", "anger"]
    assert percent_correct(trials, "people")["correct"] == 2
    assert sha(path) == before


BAD_TWOAFC = [
    ("p1,s1,anger,anger,anger", "foil", "anger", "same emotion as the target"),
    ("p1,s1,anger,sadness,happiness", "response", "happiness", "neither the trial's target 'anger'"),
    ("p1,s1,anger,fear,anger", "foil", "fear", "is not an emotion"),
    ("p1,s1,rage,sadness,anger", "target", "rage", "is not an emotion"),
    ("p1,s7,anger,sadness,anger", "stimulus_id", "s7", "is not a stimulus of the set"),
    (",s1,anger,sadness,anger", "subject_id", "", "is blank"),
    ("p1,s1,anger,sadness,", "response", "", "is blank"),
]


@pytest.mark.parametrize("row, column, value, problem", BAD_TWOAFC)
def test_read_twoafc_locates_bad_values(tmp_path, row, column, value, problem):
    path = write(tmp_path, TWOAFC_HEADER, [*GOOD_TWOAFC, row], "twoafc.csv")
    before = sha(path)
    with pytest.raises(DataError) as info:
        read_twoafc(path, STIMULI, EMOTIONS)
    message = str(info.value)
    for part in (str(path), "line 5", f"column {column!r}", f"value {value!r}", problem):
        assert part in message, f"{part!r} not in {message!r}"
    assert sha(path) == before


def test_read_twoafc_missing_column_with_column_map(tmp_path):
    path = write(tmp_path, TWOAFC_HEADER.replace("foil", "other"), GOOD_TWOAFC, "twoafc.csv")
    assert len(read_twoafc(path, STIMULI, EMOTIONS, column_map={"foil": "other"})) == 3
    with pytest.raises(DataError) as info:
        read_twoafc(path, STIMULI, EMOTIONS)
    for part in (str(path), "line 1", "column 'foil'"):
        assert part in str(info.value)


# Simulated clicks.

def mirrored_regions(n_images: int, size: int = 24):
    """Regions on the left of the face and their mirror images on the right (a control of equal shape)."""
    region = np.zeros((size, size), dtype=bool)
    region[6:16, 2:10] = True
    face = np.zeros((size, size), dtype=bool)
    face[2:22, 1:23] = True
    return np.repeat(region[None], n_images, 0), np.repeat(face[None], n_images, 0), region[:, ::-1]


def region_contrast(relevance: float, seed: int = 3) -> tuple[float, pd.DataFrame]:
    """Mean attention inside the regions minus inside their mirror images, over six images."""
    regions, faces, control = mirrored_regions(6)
    ids, labels = [f"s{i}" for i in range(6)], np.arange(6) % 3
    clicks = simulate_clicks(regions, faces, ids, labels, EMOTIONS, n_subjects=40, n_clicks=8, radius=2.0,
                             relevance=relevance, noise_sd=1.0, seed=seed)
    maps = attention_maps(clicks, ids, regions.shape[1:])
    return float(maps[:, regions[0]].mean() - maps[:, control].mean()), clicks


def test_simulated_clicks_follow_relevance():
    # Over seeds 0-39 the relevance-0 contrast has sd 0.024 (|c| < 0.07) and relevance 0.9 gives c > 0.6.
    focused, clicks = region_contrast(0.9)
    unrelated, uniform_clicks = region_contrast(0.0)
    assert focused > 0.4
    assert abs(unrelated) < 0.12
    assert list(clicks.columns) == list(CLICK_COLUMNS) and len(clicks) == 40 * 6 * 8
    per_trial = clicks.groupby(["subject_id", "stimulus_id"])["response"].nunique()
    assert (per_trial == 1).all() and len(per_trial) == 240
    truth = dict(zip([f"s{i}" for i in range(6)], np.asarray(EMOTIONS)[np.arange(6) % 3]))
    hits = lambda table: (table["response"] == table["stimulus_id"].map(truth)).mean()
    assert hits(clicks) > hits(uniform_clicks) + 0.05


def test_simulated_clicks_are_deterministic_and_readable(tmp_path):
    regions, faces, _ = mirrored_regions(3)
    settings = dict(n_subjects=3, n_clicks=2, radius=2.0, relevance=0.6, noise_sd=1.0)
    first = simulate_clicks(regions, faces, STIMULI, [0, 1, 2], EMOTIONS, seed=5, **settings)
    pd.testing.assert_frame_equal(first, simulate_clicks(regions, faces, STIMULI, [0, 1, 2], EMOTIONS, seed=5,
                                                         **settings))
    assert first["subject_id"].tolist()[:6] == ["sim001"] * 6
    path = tmp_path / "clicks.csv"
    first.to_csv(path, index=False, float_format="%.17g")
    again = read_clicks(path, STIMULI, EMOTIONS, regions.shape[1:])
    pd.testing.assert_frame_equal(again, first, check_dtype=False)
    with pytest.raises(ValueError, match="relevance"):
        simulate_clicks(regions, faces, STIMULI, [0, 1, 2], EMOTIONS, seed=5, **(settings | {"relevance": 1.5}))


# Comparing maps.

def test_map_similarity():
    rng = np.random.default_rng(0)
    human = rng.random((3, 10, 12))
    model = human.copy()
    model[1] = rng.random((10, 12))
    model[2] = 0.5
    table = map_similarity(model, human, STIMULI)
    assert table["stimulus_id"].tolist() == STIMULI
    assert np.allclose(table.loc[0, ["spearman", "pearson", "auc"]].to_numpy(dtype=float), 1.0)
    assert (table.loc[1, ["spearman", "pearson"]].abs() < 0.4).all() and abs(table.loc[1, "auc"] - 0.5) < 0.2
    assert table.loc[2, ["spearman", "pearson", "auc"]].isna().all()


def test_map_similarity_auc_with_a_binary_human_map():
    human = disc((9, 9), 4, 4, 2).astype(float)[None]
    table = map_similarity(human, human, ["s1"])
    assert table.loc[0, "auc"] == 1.0
    assert map_similarity(1.0 - human, human, ["s1"]).loc[0, "auc"] == 0.0


# Two-alternative forced choice.

def test_model_twoafc_argmax_picks_the_more_probable_option():
    probabilities = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.2, 0.4, 0.4]])
    trials = pd.DataFrame({"subject_id": ["a", "a", "b", "b"], "stimulus_id": ["s1", "s2", "s2", "s1"],
                           "target": ["anger", "happiness", "happiness", "anger"],
                           "foil": ["happiness", "sadness", "anger", "sadness"]}, index=[10, 11, 12, 13])
    answers = model_twoafc(probabilities, trials, STIMULI, EMOTIONS, rule="argmax")
    assert answers.tolist() == ["anger", "sadness", "happiness", "anger"]
    assert answers.index.tolist() == [10, 11, 12, 13]
    tie = trials.assign(stimulus_id="s3", target="happiness", foil="sadness")
    picks = pd.concat([model_twoafc(probabilities, tie, STIMULI, EMOTIONS, seed=s, rule="argmax") for s in range(20)])
    assert set(picks) == {"happiness", "sadness"}


def test_models_answer_by_the_rule_people_answer_by():
    """Guards against models scored by argmax while simulated people sample: both sample by default."""
    probabilities = np.array([[0.6, 0.4, 0.0], [0.0, 1.0, 0.0], [0.5, 0.5, 0.0]])
    trials = pd.DataFrame({"subject_id": "a", "stimulus_id": ["s1"] * 2000, "target": "anger", "foil": "happiness"})
    answers = model_twoafc(probabilities, trials, STIMULI, EMOTIONS, seed=0)
    assert (answers == "anger").mean() == pytest.approx(0.6, abs=0.03)  # argmax would say anger every time
    expected = target_share(probabilities, trials, STIMULI, EMOTIONS)
    row = percent_correct(trials.assign(response=answers), "m", rule="sample", expected=expected, n_resamples=99)
    assert row["expected"] == pytest.approx(0.6) and row["rule"] == "sample"


def test_design_twoafc():
    labels = [0, 1, 2]
    design = design_twoafc(STIMULI, labels, EMOTIONS, n_subjects=4, seed=1)
    assert len(design) == 12 and not design.duplicated(["subject_id", "stimulus_id"]).any()
    assert (design["target"] == design["stimulus_id"].map(dict(zip(STIMULI, EMOTIONS)))).all()
    assert (design["foil"] != design["target"]).all()
    orders = {tuple(g["stimulus_id"]) for _, g in design.groupby("subject_id")}
    assert len(orders) > 1
    pd.testing.assert_frame_equal(design, design_twoafc(STIMULI, labels, EMOTIONS, n_subjects=4, seed=1))


def lapse_free_observers(n: int) -> pd.DataFrame:
    population = from_schema(ObserverPopulation, *POPULATION, bias_sd=0.0, confusion_rate=0.0)
    return sample_observers(n, population, EMOTIONS, seed=0).assign(lapse=0.0)


def test_simulate_twoafc_sharp_and_flat():
    stimuli = [f"s{i}" for i in range(30)]
    labels = np.arange(30) % 3
    design = design_twoafc(stimuli, labels, EMOTIONS, n_subjects=20, seed=2)
    observers = lapse_free_observers(20)
    sharp = simulate_twoafc(design, 30.0 * np.eye(3)[labels], observers, EMOTIONS, seed=3)
    assert list(sharp.columns) == list(TWOAFC_COLUMNS) and len(sharp) == 600
    assert percent_correct(sharp, "sharp")["accuracy"] > 0.99
    flat = simulate_twoafc(design, np.zeros((30, 3)), observers, EMOTIONS, seed=3, stimulus_ids=stimuli)
    result = percent_correct(flat, "flat")
    assert 0.4 < result["accuracy"] < 0.6  # 600 trials at p = 0.5: sd 0.02
    assert set(flat["response"]) <= set(EMOTIONS)
    assert ((flat["response"] == flat["target"]) | (flat["response"] == flat["foil"])).all()
    shuffled = simulate_twoafc(design.iloc[::-1], 30.0 * np.eye(3)[labels], observers, EMOTIONS, seed=3,
                               stimulus_ids=stimuli)
    assert percent_correct(shuffled, "reversed")["accuracy"] > 0.99


def test_percent_correct_resamples_the_stimuli_not_the_trials():
    """Guards against a Wilson interval over subjects × stimuli, each face counted once per subject."""
    correct_faces = np.arange(10) < 8  # a model that gets 8 of 10 faces right, for each of 20 subjects
    trials = pd.DataFrame({"stimulus_id": np.tile([f"s{i}" for i in range(10)], 20), "target": "anger",
                           "response": np.where(np.tile(correct_faces, 20), "anger", "sadness")})
    result = percent_correct(trials, "m", rule="argmax", n_resamples=999)
    assert (result["n"], result["n_stimuli"], result["correct"], result["accuracy"]) == (200, 10, 160, 0.8)
    wilson_width = 0.8498 - 0.7392  # Wilson 95 % for 160 of 200
    assert result["ci_high"] - result["ci_low"] > 2 * wilson_width
    assert result["ci_low"] < 0.8 < result["ci_high"]


def test_map_similarity_within_the_face_and_against_shuffled_faces():
    """Guards the face-mask restriction and the baseline of other faces of the same emotion."""
    rng = np.random.default_rng(0)
    masks = np.zeros((4, 10, 10), bool)
    masks[:, 2:8, 2:8] = True
    human = rng.random((4, 10, 10))
    model = human + rng.normal(0, 0.05, human.shape)
    model[~masks] = 0.0  # outside the face the model map says nothing: the whole image would look less alike
    ids = ["a", "b", "c", "d"]
    inside = map_similarity(model, human, ids, masks=masks)
    whole = map_similarity(model, human, ids)
    assert (inside["spearman"] > 0.95).all() and (whole["spearman"] < inside["spearman"]).all()
    baseline = shuffled_similarity(model, human, ids, labels=[0, 0, 1, 1], masks=masks)
    assert baseline["n_shuffled"].tolist() == [1, 1, 1, 1]
    assert (baseline["spearman_shuffled"].abs() < 0.5).all()
    alone = shuffled_similarity(model, human, ids, labels=[0, 1, 2, 3], masks=masks)
    assert alone["spearman_shuffled"].isna().all()
