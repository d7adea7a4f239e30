"""The observers' front-ends: faces disjoint from the guides', families apart, and the two analyses compared."""

from __future__ import annotations

import numpy as np
import pytest

from varemotion.config import arch_family
from varemotion.data.observer_faces import set_aside
from varemotion.data.splits import Split
from varemotion.stats.comparison import compare_analyses


def test_faces_set_aside_for_the_front_end_are_disjoint_and_stratified():
    """Guards against a real-data front-end trained on the guides' training faces."""
    labels = np.repeat([0, 1, 2], [40, 20, 8])
    split = Split(images=np.zeros((68, 4, 4), np.uint8), labels=labels, ids=np.array([f"f{i}" for i in range(68)]),
                  emotions=("a", "b", "c"), soft_labels=np.eye(3, dtype=np.float32)[labels],
                  extras={"votes": np.arange(68)[:, None].repeat(3, 1), "vote_columns": np.array(["a", "b", "c"])})
    guides, observer = set_aside(split, 0.25, seed=0)
    assert not set(guides.ids) & set(observer.ids) and guides.n + observer.n == 68
    assert np.bincount(observer.labels).tolist() == [10, 5, 2]
    assert (observer.extras["votes"][:, 0] == [int(i[1:]) for i in observer.ids]).all()
    assert observer.extras["vote_columns"].tolist() == ["a", "b", "c"]
    assert (observer.soft_labels.argmax(1) == observer.labels).all()
    again, _ = set_aside(split, 0.25, seed=0)
    assert again.ids.tolist() == guides.ids.tolist()
    with pytest.raises(ValueError, match="share"):
        set_aside(split, 0.0, seed=0)


def test_families_are_timm_modules():
    assert arch_family("resnet10t") == arch_family("resnet18") == "resnet"
    assert arch_family("cs3darknet_focus_s") == "cspnet"
    assert len({arch_family(a) for a in ("ese_vovnet19b_slim", "densenet121", "resnet10t", "cs3darknet_focus_s")}) == 4


def summary(shift: float) -> dict:
    return {"entropy_by_kind": {"comparisons": [
                {"kind": "guided", "mean_difference": shift, "ci_low": shift - 0.1, "ci_high": shift + 0.1,
                 "p_greater": 0.001, "paired_mean_difference": shift, "paired_ci_low": 0.0, "paired_ci_high": 1.0,
                 "p_paired_greater": 0.01},
                {"kind": "uncertainty", "mean_difference": 9.0}]},
            "correlations": [{"classifier": "net", "method": "spearman", "r": 0.5, "ci_low": 0.4, "ci_high": 0.6,
                              "p_permutation": 0.001},
                             {"classifier": "net", "method": "pearson", "r": 0.1}],
            "agreement_models": {"net": {"coefficients": [{"term": "Intercept", "estimate": 0.7},
                                                          {"term": "entropy_z", "estimate": -0.07, "ci_low": -0.1,
                                                           "ci_high": -0.04, "p": 1e-6}]}}}


def test_the_two_front_ends_headline_numbers_side_by_side():
    table = compare_analyses({"study": summary(0.6), "swapped": summary(0.4)})
    assert len(table) == 8 and table["analysis"].tolist() == ["study", "swapped"] * 4
    boundary = table[table["quantity"] == "boundary - control entropy (bits)"].set_index("analysis")
    assert boundary.loc["study", "estimate"] == 0.6 and boundary.loc["swapped", "estimate"] == 0.4
    assert "rho(net entropy, human entropy)" in set(table["quantity"])
