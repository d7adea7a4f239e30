"""Simulated observers with individual differences, and the trial tables they produce.

A perceptual front-end gives each stimulus x a logit vector g(x) over the K emotions. Participant
s answers a trial with probabilities

    p_s(y | x) = (1 − λ_s) · softmax((g_s(x) + b_s) · τ_s)_y + λ_s / K

where b_s is the personal bias vector, τ_s the decision temperature (it multiplies the logits, so a
larger τ_s gives sharper, more consistent choices), λ_s the lapse rate (a uniform guess), and
g_s(x) the front-end's logits after the participant's personal confusion, if any. A confusion
a → c with strength w ∈ [0, 1] raises the logit of c towards that of a when the front-end favours
a over c:

    g_s(x)_c = g(x)_c + w · max(g(x)_a − g(x)_c, 0),  the other logits unchanged,

so with w = 1 the participant finds c as likely as a whenever the image favours a.

Reaction times (milliseconds) are

    rt = t0 + scale · speed_s · exp(σ · ε) · (1 + k · H(p_s(· | x))),  ε ~ Normal(0, 1),

with H the entropy in bits of the trial's choice distribution (uncertain faces are slower) and
speed_s a per-participant factor; rt > t0 ≥ 0.

:func:`sample_observers` draws the participants' true parameters; :func:`simulate_trials` returns
the canonical trial table (:data:`~varemotion.behavior.trials.TRIAL_COLUMNS`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from varemotion.behavior.trials import TRIAL_COLUMNS, check_emotions
from varemotion.entropy import entropy_bits

BIAS_PREFIX = "bias_"
SUBJECT_PREFIX = "sim"
DESIGN_COLUMNS = ("subject_id", "stimulus_id", "is_train")


@dataclass(frozen=True)
class ObserverPopulation:
    """Hyper-parameters of the population that simulated participants are drawn from.

    - ``bias_sd``: b_s,k ~ Normal(0, bias_sd) for each emotion k. 1.0 (the default of
      ``behavior.observers.population``, whose schema gives every default) makes knowing a
      participant's parameters worth about 5 points of accuracy at predicting their answers over
      the population's choice on the default stimuli, the gain of individual over group models in
      the predecessor study (0.76 → 0.81); with 0.5 it is under 2 points;
    - ``temperature_median``, ``temperature_log_sd``: τ_s ~ LogNormal(log(median), log_sd);
    - ``lapse_mean``, ``lapse_concentration``: λ_s ~ Beta(mean · c, (1 − mean) · c);
    - ``confusion_rate``: the probability that a participant has one confusion a → c (a random
      ordered pair of distinct emotions) with strength w ~ Uniform(``confusion_strength_min``,
      ``confusion_strength_max``), both within [0, 1];
    - ``rt_t0_ms``, ``rt_scale_ms``, ``rt_noise_sd``, ``rt_entropy_gain``: t0, scale, σ and k of
      the reaction-time model; ``speed_log_sd``: speed_s ~ LogNormal(0, speed_log_sd).
    """

    bias_sd: float
    temperature_median: float
    temperature_log_sd: float
    lapse_mean: float
    lapse_concentration: float
    confusion_rate: float
    confusion_strength_min: float
    confusion_strength_max: float
    rt_t0_ms: float
    rt_scale_ms: float
    rt_noise_sd: float
    rt_entropy_gain: float
    speed_log_sd: float

    def __post_init__(self) -> None:
        checks = {
            "bias_sd": self.bias_sd >= 0,
            "temperature_median": self.temperature_median > 0,
            "temperature_log_sd": self.temperature_log_sd >= 0,
            "lapse_mean": 0 < self.lapse_mean < 1,
            "lapse_concentration": self.lapse_concentration > 0,
            "confusion_rate": 0 <= self.confusion_rate <= 1,
            "confusion_strength_min": 0 <= self.confusion_strength_min <= self.confusion_strength_max <= 1,
            "rt_t0_ms": self.rt_t0_ms >= 0,
            "rt_scale_ms": self.rt_scale_ms > 0,
            "rt_noise_sd": self.rt_noise_sd >= 0,
            "rt_entropy_gain": self.rt_entropy_gain >= 0,
            "speed_log_sd": self.speed_log_sd >= 0,
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise ValueError(f"ObserverPopulation: out of range: {', '.join(bad)} (see the class docstring)")


@dataclass(frozen=True)
class ObserverArrays:
    """Observer parameters as arrays with one row per trial (emotions as column indices, −1 for none)."""

    bias: np.ndarray
    temperature: np.ndarray
    lapse: np.ndarray
    confusion_from: np.ndarray
    confusion_to: np.ndarray
    confusion_strength: np.ndarray
    speed: np.ndarray


def sample_observers(n: int, population: ObserverPopulation, emotions, seed: int) -> pd.DataFrame:
    """Draw ``n`` participants' true parameters, one row each (subject_id 'sim001', …).

    Columns: subject_id, bias_<emotion> per emotion, temperature, lapse, confusion_from,
    confusion_to ('' when none), confusion_strength (0 when none), speed.
    """
    emotions = check_emotions(emotions)
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    k = len(emotions)
    rng = np.random.default_rng(seed)
    bias = rng.normal(0.0, population.bias_sd, size=(n, k))
    temperature = population.temperature_median * np.exp(rng.normal(0.0, population.temperature_log_sd, n))
    c = population.lapse_concentration
    lapse = rng.beta(population.lapse_mean * c, (1 - population.lapse_mean) * c, n)
    confused = (rng.random(n) < population.confusion_rate) & (k > 1)
    source = rng.integers(0, k, n)
    target = (source + rng.integers(1, max(k, 2), n)) % k
    strength = rng.uniform(population.confusion_strength_min, population.confusion_strength_max, n)
    speed = np.exp(rng.normal(0.0, population.speed_log_sd, n))
    names = np.asarray(emotions, dtype=object)
    width = max(3, len(str(n)))
    table = pd.DataFrame({"subject_id": [f"{SUBJECT_PREFIX}{i + 1:0{width}d}" for i in range(n)]})
    for j, emotion in enumerate(emotions):
        table[BIAS_PREFIX + emotion] = bias[:, j]
    table["temperature"] = temperature
    table["lapse"] = lapse
    table["confusion_from"] = np.where(confused, names[source], "")
    table["confusion_to"] = np.where(confused, names[target], "")
    table["confusion_strength"] = np.where(confused, strength, 0.0)
    table["speed"] = speed
    return table


def _bias_emotions(observers: pd.DataFrame | pd.Series) -> tuple[str, ...]:
    labels = observers.columns if isinstance(observers, pd.DataFrame) else observers.index
    return tuple(str(c)[len(BIAS_PREFIX):] for c in labels if str(c).startswith(BIAS_PREFIX))


def _emotion_indices(names: pd.Series, emotions: tuple[str, ...], column: str) -> np.ndarray:
    text = names.astype(object).where(names.notna(), "").astype(str).str.strip()
    index = pd.Index(emotions).get_indexer(text)
    unknown = (index < 0) & (text != "").to_numpy()
    if unknown.any():
        raise ValueError(f"observers: {column} {text[unknown].iat[0]!r} is not one of the emotions {list(emotions)}")
    return index


def observer_arrays(observers: pd.DataFrame | pd.Series, emotions=None) -> ObserverArrays:
    """The parameters of a :func:`sample_observers` table (or one of its rows) as arrays.

    Emotions are taken from the bias_<emotion> columns in their order, or from ``emotions``.
    """
    table = observers.to_frame().T if isinstance(observers, pd.Series) else observers.reset_index(drop=True)
    emotions = check_emotions(emotions if emotions is not None else _bias_emotions(observers))
    needed = [BIAS_PREFIX + e for e in emotions] + ["temperature", "lapse"]
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise ValueError(f"observers: missing columns {missing}")
    n = len(table)
    if "confusion_from" in table.columns:
        source = _emotion_indices(table["confusion_from"], emotions, "confusion_from")
        target = _emotion_indices(table["confusion_to"], emotions, "confusion_to")
        strength = table["confusion_strength"].to_numpy(dtype=float)
    else:
        source, target, strength = np.full(n, -1), np.full(n, -1), np.zeros(n)
    none = (source < 0) | (target < 0)
    speed = table["speed"].to_numpy(dtype=float) if "speed" in table.columns else np.ones(n)
    return ObserverArrays(
        bias=table[[BIAS_PREFIX + e for e in emotions]].to_numpy(dtype=float),
        temperature=table["temperature"].to_numpy(dtype=float),
        lapse=table["lapse"].to_numpy(dtype=float),
        confusion_from=np.where(none, -1, source),
        confusion_to=np.where(none, -1, target),
        confusion_strength=np.where(none, 0.0, strength),
        speed=speed,
    )


def _take(arrays: ObserverArrays, rows: np.ndarray) -> ObserverArrays:
    return ObserverArrays(*(getattr(arrays, f)[rows] for f in ObserverArrays.__dataclass_fields__))


def confused_logits(logits: np.ndarray, arrays: ObserverArrays) -> np.ndarray:
    """The logits after each row's confusion a → c: g_c + w · max(g_a − g_c, 0); others unchanged."""
    g = np.array(logits, dtype=float)
    rows = np.flatnonzero(arrays.confusion_from >= 0)
    if rows.size:
        a, c = arrays.confusion_from[rows], arrays.confusion_to[rows]
        gap = np.maximum(g[rows, a] - g[rows, c], 0.0)
        g[rows, c] += arrays.confusion_strength[rows] * gap
    return g


def choice_probabilities(logits, observers: pd.DataFrame | pd.Series | ObserverArrays, emotions=None
                         ) -> np.ndarray:
    """p_s(y | x) = (1 − λ_s) · softmax((g_s(x) + b_s) · τ_s) + λ_s / K for each trial, shape (N, K).

    ``logits`` is (N, K), one row per trial; ``observers`` is one observer (a Series, used for every
    trial), a table of N observers (one per trial) or :class:`ObserverArrays` with N rows.
    """
    g = np.atleast_2d(np.asarray(logits, dtype=float))
    arrays = observers if isinstance(observers, ObserverArrays) else observer_arrays(observers, emotions)
    if len(arrays.temperature) == 1 and len(g) != 1:
        arrays = _take(arrays, np.zeros(len(g), dtype=int))
    if arrays.bias.shape != g.shape:
        raise ValueError(f"logits have shape {g.shape} but the observers give {arrays.bias.shape}"
                         " (one observer per trial, one bias per emotion)")
    scaled = (confused_logits(g, arrays) + arrays.bias) * arrays.temperature[:, None]
    scaled -= scaled.max(axis=1, keepdims=True)
    soft = np.exp(scaled)
    soft /= soft.sum(axis=1, keepdims=True)
    lapse = arrays.lapse[:, None]
    return (1.0 - lapse) * soft + lapse / g.shape[1]


def draw_choices(probabilities: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One class index per row of ``probabilities`` (N, K), drawn with one uniform number per row."""
    cumulative = probabilities.cumsum(axis=1)
    chosen = (rng.random(len(cumulative))[:, None] * cumulative[:, -1:] >= cumulative).sum(axis=1)
    return np.minimum(chosen, probabilities.shape[1] - 1)


def reaction_times(probabilities: np.ndarray, speed: np.ndarray, population: ObserverPopulation,
                   rng: np.random.Generator) -> np.ndarray:
    """rt_ms = t0 + scale · speed · exp(σ · ε) · (1 + k · H(p)) with ε ~ Normal(0, 1), H in bits."""
    noise = np.exp(population.rt_noise_sd * rng.standard_normal(len(speed)))
    load = 1.0 + population.rt_entropy_gain * entropy_bits(probabilities)
    return population.rt_t0_ms + population.rt_scale_ms * speed * noise * load


def _lookup(values: pd.Series, index: pd.Index, what: str, where: str) -> np.ndarray:
    found = index.get_indexer(values)
    if (found < 0).any():
        missing = pd.unique(values[found < 0])
        shown = ", ".join(repr(v) for v in missing[:5])
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        raise ValueError(f"design names {len(missing)} {what} missing from {where}: {shown}{more}")
    return found


def _check_inputs(design: pd.DataFrame, logits: np.ndarray, stimulus_ids: pd.Index, emotions: tuple[str, ...],
                  observers: pd.DataFrame) -> None:
    missing = [c for c in DESIGN_COLUMNS if c not in design.columns]
    if missing:
        raise ValueError(f"design is missing columns {missing}; it needs {list(DESIGN_COLUMNS)}")
    if logits.shape != (len(stimulus_ids), len(emotions)):
        raise ValueError(f"logits have shape {logits.shape}, expected (len(stimulus_ids), len(emotions))"
                         f" = {(len(stimulus_ids), len(emotions))}")
    if not stimulus_ids.is_unique:
        raise ValueError("stimulus_ids contain duplicates")
    if "subject_id" not in observers.columns or not observers["subject_id"].astype(str).is_unique:
        raise ValueError("observers need a subject_id column with one row per subject")


def simulate_trials(design: pd.DataFrame, logits, stimulus_ids, emotions, observers: pd.DataFrame, seed: int, *,
                    population: ObserverPopulation, null: bool = False) -> pd.DataFrame:
    """Simulate each design row's response and RT; return the canonical trial table (TRIAL_COLUMNS).

    ``design`` has one row per trial (subject_id, stimulus_id, is_train); ``logits`` is
    (len(stimulus_ids), len(emotions)), row i the front-end's logits for ``stimulus_ids[i]``;
    ``observers`` is a :func:`sample_observers` table. With ``null=True`` the observers ignore the
    image (g(x) = 0), so responses depend only on bias, temperature and lapse. ``population`` gives
    the RT model's parameters. Raises ValueError for inconsistent inputs.
    """
    emotions = check_emotions(emotions)
    logits = np.asarray(logits, dtype=float)
    stimuli = pd.Index([str(s) for s in stimulus_ids])
    _check_inputs(design, logits, stimuli, emotions, observers)
    subjects = design["subject_id"].astype(str).reset_index(drop=True)
    trial_stimuli = design["stimulus_id"].astype(str).reset_index(drop=True)
    observer_rows = _lookup(subjects, pd.Index(observers["subject_id"].astype(str)), "subjects", "observers")
    stimulus_rows = _lookup(trial_stimuli, stimuli, "stimuli", "stimulus_ids")
    arrays = _take(observer_arrays(observers, emotions), observer_rows)
    g = np.zeros((len(design), len(emotions))) if null else logits[stimulus_rows]
    probabilities = choice_probabilities(g, arrays)
    rng = np.random.default_rng(seed)
    chosen = draw_choices(probabilities, rng)
    rt_ms = reaction_times(probabilities, arrays.speed, population, rng)
    table = pd.DataFrame({
        "subject_id": subjects,
        "stimulus_id": trial_stimuli,
        "response": np.asarray(emotions, dtype=object)[chosen],
        "rt_ms": rt_ms.astype(float),
        "is_train": design["is_train"].to_numpy(dtype=bool),
    })
    return table[TRIAL_COLUMNS]
