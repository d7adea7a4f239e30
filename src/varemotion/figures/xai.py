"""Figures of where models look: global maps against true regions, network dendrograms, human attention, 2AFC.

Each function draws maps or tables computed beforehand (:mod:`varemotion.xai.global_maps`,
:mod:`varemotion.xai.attention`, :mod:`varemotion.xai.twoafc`) and returns the matplotlib Figure,
saved by :func:`varemotion.figures.style.save_figure`. Nothing here needs torch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import scipy.cluster.hierarchy
import scipy.stats
from matplotlib import patheffects
from matplotlib.lines import Line2D

from varemotion.emotions import KNOWN_EMOTIONS
from varemotion.figures.style import PALETTE, SEQUENTIAL_CMAP, bare_axis, new_figure
from varemotion.xai.methods import METHODS
from varemotion.xai.metrics import correlation_matrix, dendrogram_linkage, otsu_mask

#: Saliency methods in drawing order (that of the registry); each keeps one colour, PALETTE[3] is the true regions'.
METHOD_ORDER = tuple(METHODS)
METHOD_COLOURS = dict(zip(METHODS, [colour for k, colour in enumerate(PALETTE) if k != 3]))
#: The row of a 2AFC table that holds the participants (drawn first, in black).
PEOPLE = "people"
IOU_COLUMNS = ("method", "classifier", "emotion", "iou")
TWOAFC_ACCURACY_COLUMNS = ("who", "n", "correct", "accuracy", "ci_low", "ci_high")
SIMILARITY_COLUMNS = ("classifier", "method", "spearman", "auc")
_ERROR_KW = {"elinewidth": 0.8, "capsize": 2, "ecolor": "0.35"}
_OTSU_LINE = {"colors": "white", "linewidths": 1.2, "linestyles": "solid",
              "path_effects": [patheffects.withStroke(linewidth=2.4, foreground="black")]}
_TRUTH_LINE = {"colors": PALETTE[3], "linewidths": 1.2, "linestyles": "dashed",
               "path_effects": [patheffects.withStroke(linewidth=2.4, foreground="white")]}
_MAP_ALPHA = 0.6
_JITTER_SEED = 0


def _require(table: pd.DataFrame, columns: Sequence[str], name: str) -> None:
    """Raise ValueError naming the columns the table lacks."""
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"the {name} table lacks column(s) {', '.join(missing)} (needs {', '.join(columns)})")


def _in_order(values, known: Sequence[str] = ()) -> list[str]:
    """The distinct values, the known ones first in their order, the rest in order of appearance."""
    present = list(dict.fromkeys(str(v) for v in values))
    return [k for k in known if k in present] + [v for v in present if v not in known]


def _method_label(method: str) -> str:
    return METHODS[method].label if method in METHODS else method.replace("_", " ")


def _method_colour(method: str) -> str:
    return METHOD_COLOURS.get(method, PALETTE[sum(map(ord, method)) % len(PALETTE)])


def _no_data(ax, note: str = "no data") -> None:
    ax.text(0.5, 0.5, note, transform=ax.transAxes, ha="center", va="center", color="0.4", wrap=True)


def _grey(image) -> np.ndarray:
    """An image as grey (H, W) values: RGB(A) last or first in its shape is averaged over colour."""
    image = np.asarray(image, dtype=np.float64)
    if image.ndim == 3 and image.shape[0] in (1, 3) and image.shape[-1] not in (1, 3, 4):
        image = np.moveaxis(image, 0, -1)
    if image.ndim == 3:
        image = image[..., :3].mean(axis=-1)
    if image.ndim != 2:
        raise ValueError(f"expected a grey (H, W) or colour (H, W, 3) image, got shape {image.shape}")
    return image


def _contour(ax, mask: np.ndarray, style: Mapping) -> None:
    if mask.any() and not mask.all():  # a uniform mask has no outline to draw
        ax.contour(mask.astype(float), levels=[0.5], **style)


def _map_panel(ax, values: np.ndarray, background: np.ndarray | None):
    if background is not None:
        ax.imshow(background, cmap="gray")
    image = ax.imshow(values, cmap=SEQUENTIAL_CMAP, vmin=0, vmax=1,
                      alpha=_MAP_ALPHA if background is not None else 1.0)
    bare_axis(ax)
    return image


def global_maps_figure(maps: Mapping[tuple[str, str, str], np.ndarray], method: str, template_image=None,
                       truth: Mapping[str, np.ndarray] | None = None, scores: pd.DataFrame | None = None):
    """The global maps of one method: a row per classifier, a column per emotion.

    Each panel shows the map (over the grey template face when given), the outline of its Otsu
    mask (white) and of the emotion's true regions (dashed), with the IoU of the two from the
    global maps' ``scores`` table in its title.
    """
    iou = {} if scores is None else {(r.classifier, r.method, r.emotion): r.iou for r in scores.itertuples()}
    keys = [key for key in maps if key[1] == method]
    classifiers = _in_order(key[0] for key in keys)
    emotions = _in_order((key[2] for key in keys), KNOWN_EMOTIONS)
    truth = dict(truth or {})
    shape = np.shape(maps[keys[0]]) if keys else (1, 1)
    background = None if template_image is None else _grey(template_image)
    if background is not None and keys and background.shape != shape:
        raise ValueError(f"the template image has shape {background.shape} but the global maps {shape}")
    rows, columns = max(len(classifiers), 1), max(len(emotions), 1)
    panel = 1.55
    fig, axes = new_figure(rows, columns, squeeze=False, layout="constrained",
                           figsize=(panel * columns + 1.4, (panel * shape[0] / shape[1] + 0.45) * rows + 0.9))
    image = None
    for r, classifier in enumerate(classifiers):
        for c, emotion in enumerate(emotions):
            ax = axes[r, c]
            values = maps.get((classifier, method, emotion))
            title = f"{emotion}\n" if r == 0 else ""
            if values is None:
                bare_axis(ax)
                _no_data(ax, "no map")
                ax.set_title(title, fontsize=9)
            else:
                values = np.asarray(values, dtype=np.float64)
                image = _map_panel(ax, values, background)
                _contour(ax, otsu_mask(values), _OTSU_LINE)
                if emotion in truth:
                    _contour(ax, np.asarray(truth[emotion], dtype=bool), _TRUTH_LINE)
                    score = iou.get((classifier, method, emotion), np.nan)
                    title += f"IoU {score:.2f}" if np.isfinite(score) else "IoU n/a"
                ax.set_title(title, fontsize=9)
            if c == 0:
                ax.set_ylabel(classifier, fontsize=9)
    if not keys:
        bare_axis(axes[0, 0])
        _no_data(axes[0, 0], f"no global maps of {_method_label(method)}")
    if image is not None:
        fig.colorbar(image, ax=axes, shrink=min(0.8, 2.5 / rows), label="global map (stretched mean)")
    handles = [Line2D([], [], color=_OTSU_LINE["colors"], lw=1.2, path_effects=_OTSU_LINE["path_effects"]),
               Line2D([], [], color=_TRUTH_LINE["colors"], lw=1.2, ls="--", path_effects=_TRUTH_LINE["path_effects"])]
    fig.legend(handles, ["Otsu mask of the global map", "true facial regions"], loc="outside lower center",
               ncol=2, frameon=False, fontsize=8)
    fig.suptitle(f"Global {_method_label(method)} maps per classifier and emotion")
    return fig


def iou_figure(scores: pd.DataFrame):
    """IoU of global maps and true regions per emotion: a bar per method (mean over classifiers), a dot per classifier.

    The legend gives each method's mean IoU over all its maps.
    """
    _require(scores, IOU_COLUMNS, "scores")
    rows = scores[np.isfinite(pd.to_numeric(scores["iou"], errors="coerce").astype(float))]
    rows = rows.assign(method=rows["method"].astype(str), emotion=rows["emotion"].astype(str))
    emotions = _in_order(rows["emotion"], KNOWN_EMOTIONS)
    methods = _in_order(rows["method"], METHOD_ORDER)
    fig, ax = new_figure(figsize=(max(5.0, 0.9 * len(emotions) * max(len(methods), 1) ** 0.5 + 2.8), 3.8))
    width = 0.8 / max(len(methods), 1)
    handles, labels = [], []
    for k, method in enumerate(methods):
        of_method = rows[rows["method"] == method]
        offset = (k - (len(methods) - 1) / 2) * width
        for position, emotion in enumerate(emotions):
            values = of_method.loc[of_method["emotion"] == emotion, "iou"].astype(float).to_numpy()
            if not len(values):
                continue
            bar = ax.bar(position + offset, values.mean(), width=width, color=_method_colour(method), alpha=0.85)
            ax.scatter(np.full(len(values), position + offset), values, s=10, color="black", linewidths=0, zorder=3)
        handles.append(bar[0])
        labels.append(f"{_method_label(method)} (mean IoU {of_method['iou'].astype(float).mean():.2f})")
    if handles:
        handles.append(Line2D([], [], ls="", marker="o", ms=3, color="black"))
        labels.append("one classifier")
        ax.legend(handles, labels, fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    else:
        _no_data(ax)
    ax.set_xticks(np.arange(len(emotions)), emotions)
    ax.set_xlim(-0.6, max(len(emotions), 1) - 0.4)
    ax.set_ylim(0, 1)
    ax.set_ylabel("IoU of Otsu mask and true regions")
    ax.set_title("Global maps against the facial regions of each expression\n(bars: mean over classifiers)")
    fig.tight_layout()
    return fig


def _dendrogram_panel(ax, named: dict[str, np.ndarray], pretrained: Mapping[str, bool] | None) -> None:
    if len(named) < 2:
        _no_data(ax, f"one classifier ({next(iter(named))}):\nnothing to cluster" if named else "no maps")
        ax.set_xticks([])
        ax.set_yticks([])
        return
    try:
        linkage = dendrogram_linkage(correlation_matrix(named))
    except ValueError as error:
        _no_data(ax, str(error).replace(" (", "\n("))
        return
    scipy.cluster.hierarchy.dendrogram(linkage, labels=list(named), ax=ax, orientation="right",
                                       link_color_func=lambda _: "0.25")
    ax.set_xlabel("1 − correlation")
    ax.tick_params(axis="y", labelsize=8)
    for label in ax.get_yticklabels():
        known = None if pretrained is None else pretrained.get(label.get_text())
        if known is not None:
            label.set_color(PALETTE[0] if known else PALETTE[3])


def dendrogram_figure(maps: Mapping[tuple[str, str, str], np.ndarray], method: str,
                      pretrained: Mapping[str, bool] | None = None):
    """One average-linkage dendrogram of the classifiers' global maps per emotion (distance 1 − correlation).

    With ``pretrained`` (classifier → bool) the labels of pre-trained classifiers are blue and
    those trained from scratch vermillion. An emotion with one classifier gets a note instead.
    """
    by_emotion: dict[str, dict[str, np.ndarray]] = {}
    for (classifier, of_method, emotion), values in maps.items():
        if of_method == method:
            by_emotion.setdefault(emotion, {})[classifier] = values
    emotions = _in_order(by_emotion, KNOWN_EMOTIONS)
    columns = min(max(len(emotions), 1), 3)
    rows = -(-max(len(emotions), 1) // columns)
    height = 0.25 * max([len(named) for named in by_emotion.values()] + [2]) + 1.2
    fig, axes = new_figure(rows, columns, squeeze=False, layout="constrained",
                           figsize=(3.3 * columns, height * rows + 0.6))
    for ax, emotion in zip(axes.ravel(), emotions):
        _dendrogram_panel(ax, by_emotion[emotion], pretrained)
        ax.set_title(emotion)
    for ax in axes.ravel()[len(emotions):]:
        ax.set_axis_off()
    if not emotions:
        axes[0, 0].set_axis_on()
        bare_axis(axes[0, 0])
        _no_data(axes[0, 0], f"no global maps of {_method_label(method)}")
    if pretrained:
        squares = [Line2D([], [], ls="", marker="s", color=colour) for colour in (PALETTE[0], PALETTE[3])]
        fig.legend(squares, ["pre-trained", "from scratch"], title="label colour", loc="outside lower center", ncol=2,
                   frameon=False, fontsize=8, title_fontsize=8)
    fig.suptitle(f"Classifiers clustered by their global {_method_label(method)} maps (average linkage)")
    return fig


def attention_figure(images, human_maps, model_maps: Mapping[tuple[str, str], np.ndarray], ids: Sequence,
                     n: int = 4):
    """The first ``n`` images (rows): the image, the people's attention map, then each (classifier, method) map.

    ``images`` is (S, H, W), (S, H, W, 3) or (S, C, H, W); every map stack is (S, H, W) in [0, 1].
    """
    images, human = np.asarray(images, dtype=np.float64), np.asarray(human_maps, dtype=np.float64)
    models = {key: np.asarray(values, dtype=np.float64) for key, values in model_maps.items()}
    if human.ndim != 3 or len(ids) != len(human) or len(images) != len(human):
        raise ValueError(f"expected {len(ids)} ids, images and (S, H, W) human maps, got {len(images)} images "
                         f"and human maps of shape {human.shape}")
    for (classifier, method), values in models.items():
        if values.shape != human.shape:
            raise ValueError(f"the {classifier}/{method} maps have shape {values.shape} "
                             f"but the human maps {human.shape}")
    count = min(n, len(human))
    columns = 2 + len(models)
    fig, axes = new_figure(max(count, 1), columns, squeeze=False, layout="constrained",
                           figsize=(1.45 * columns + 1.2, 1.55 * max(count, 1) + 0.8))
    titles = ["image", "people"] + [f"{classifier}\n{_method_label(method)}" for classifier, method in models]
    shown = None
    for row in range(count):
        grey = _grey(images[row])
        axes[row, 0].imshow(grey, cmap="gray")
        bare_axis(axes[row, 0])
        axes[row, 0].set_ylabel(str(ids[row]), fontsize=8)
        for column, values in enumerate([human, *models.values()], start=1):
            shown = _map_panel(axes[row, column], values[row], grey)
    for column, title in enumerate(titles):
        axes[0, column].set_title(title, fontsize=8)
    if not count:
        for ax in axes.ravel():
            bare_axis(ax)
        _no_data(axes[0, 0], "no images")
    if shown is not None:
        fig.colorbar(shown, ax=axes, shrink=min(0.8, 2.5 / max(count, 1)), label="attention (normalised)")
    fig.suptitle("Where people and models look")
    return fig


def _bar_labels(ax, bars, texts: Sequence[str], tops: Sequence[float]) -> None:
    for bar, text, top in zip(bars, texts, tops):
        ax.text(bar.get_x() + bar.get_width() / 2, top + 1.5, text, ha="center", va="bottom", fontsize=7)


def twoafc_figure(accuracy: pd.DataFrame, rule: str = "sample"):
    """Percent correct in the two-alternative forced choice for people (first, black) and each model, with CIs.

    One row per ``who`` (:data:`PEOPLE` for the participants) and, where the table has a ``rule``
    column, decision rule: the models' rows of ``rule`` are drawn (people's are what they
    answered). Columns :data:`TWOAFC_ACCURACY_COLUMNS`, ``accuracy``, ``ci_low`` and ``ci_high``
    as proportions.
    """
    _require(accuracy, TWOAFC_ACCURACY_COLUMNS, "2AFC accuracy")
    if "rule" in accuracy.columns:
        accuracy = accuracy[(accuracy["who"].astype(str) == PEOPLE) | (accuracy["rule"].astype(str) == rule)]
    rows = accuracy[np.isfinite(pd.to_numeric(accuracy["accuracy"], errors="coerce").astype(float))]
    order = _in_order(rows["who"], (PEOPLE,))
    repeated = sorted(set(rows["who"].astype(str)[rows["who"].astype(str).duplicated()]))
    if repeated:
        raise ValueError(f"the 2AFC accuracy table has more than one row for {', '.join(repeated)}")
    rows = rows.assign(who=rows["who"].astype(str)).set_index("who").loc[order]
    fig, ax = new_figure(figsize=(max(4.0, 0.75 * len(order) + 2.0), 3.6))
    models = [who for who in order if who != PEOPLE]
    colours = [PALETTE[7] if who == PEOPLE else PALETTE[models.index(who) % 7] for who in order]
    share = 100 * rows["accuracy"].astype(float).to_numpy()
    low, high = (100 * pd.to_numeric(rows[c], errors="coerce").astype(float).to_numpy() for c in ("ci_low", "ci_high"))
    error = np.clip(np.nan_to_num(np.stack([share - low, high - share])), 0, None)
    bars = ax.bar(np.arange(len(order)), share, width=0.65, color=colours, yerr=error if len(order) else None,
                  error_kw=_ERROR_KW)
    texts = [f"{int(c)}/{int(n)}" if pd.notna(c) and pd.notna(n) else "" for c, n in zip(rows["correct"], rows["n"])]
    _bar_labels(ax, bars, texts, np.fmax(np.nan_to_num(high), share))
    ax.axhline(50, color="0.4", ls="--", lw=0.8, zorder=0, label="chance")
    crowded = len(order) > 5
    ax.set_xticks(np.arange(len(order)), order, rotation=30 if crowded else 0, ha="right" if crowded else "center")
    ax.set_xlim(-0.6, max(len(order), 1) - 0.4)
    ax.set_ylim(0, 110)  # headroom for the counts above 100 %
    ax.set_yticks(np.arange(0, 101, 20))
    ax.set_ylabel("percent correct")
    ax.set_title(f"Two-alternative forced choice, models by {rule}\n(whiskers: CI resampling the faces; dashed: chance)",
                 fontsize=9)
    if not len(order):
        _no_data(ax)
    fig.tight_layout()
    return fig


def _mean_interval(values: np.ndarray, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student-t confidence interval of the mean (no interval below two values)."""
    mean = float(values.mean())
    if len(values) < 2 or np.ptp(values) == 0:
        return mean, mean, mean
    low, high = scipy.stats.t.interval(confidence, len(values) - 1, loc=mean, scale=scipy.stats.sem(values))
    return mean, float(low), float(high)


def _similarity_panel(ax, rows: pd.DataFrame, value: str, methods: list[str], classifiers: list[str]) -> dict:
    width = 0.8 / max(len(classifiers), 1)
    rng = np.random.default_rng(_JITTER_SEED)
    handles = {}
    for position, method in enumerate(methods):
        of_method = rows[rows["method"] == method]
        present = [c for c in classifiers if (of_method["classifier"] == c).any()]
        for k, classifier in enumerate(present):
            values = of_method.loc[of_method["classifier"] == classifier, value].astype(float).dropna().to_numpy()
            if not len(values):
                continue
            x = position + (k - (len(present) - 1) / 2) * width
            mean, low, high = _mean_interval(values)
            colour = PALETTE[classifiers.index(classifier) % 7]
            ax.scatter(x + rng.uniform(-0.3, 0.3, len(values)) * width, values, s=6, color="0.25", alpha=0.5,
                       linewidths=0, zorder=2)
            bar = ax.bar(x, mean, width=width * 0.9, color=colour, alpha=0.8, zorder=1,
                         yerr=[[mean - low], [high - mean]], error_kw={**_ERROR_KW, "ecolor": "black", "zorder": 3})
            handles.setdefault(classifier, bar[0])
    ax.set_xticks(np.arange(len(methods)), [_method_label(m) for m in methods], fontsize=8)
    ax.set_xlim(-0.6, max(len(methods), 1) - 0.4)
    return handles


def similarity_figure(similarity: pd.DataFrame):
    """Similarity of model and human attention maps: mean Spearman ρ (left) and AUC (right) per method and classifier.

    ``similarity`` has one row per (classifier, method, image) with columns
    :data:`SIMILARITY_COLUMNS`; bars are means with a 95 % Student-t interval, dots are images.
    """
    _require(similarity, SIMILARITY_COLUMNS, "similarity")
    rows = similarity.assign(method=similarity["method"].astype(str), classifier=similarity["classifier"].astype(str))
    methods = _in_order(rows["method"], METHOD_ORDER)
    classifiers = _in_order(rows["classifier"])
    fig, (left, right) = new_figure(1, 2, figsize=(max(7.5, 1.6 * len(methods) * 2 + 2.2), 3.8))
    handles = {}
    for ax, value, label, chance in ((left, "spearman", "Spearman ρ (model vs people)", 0.0),
                                     (right, "auc", "AUC (model map predicting people's)", 0.5)):
        handles = {**_similarity_panel(ax, rows, value, methods, classifiers), **handles}
        ax.axhline(chance, color="0.4", ls="--", lw=0.8, zorder=0)
        ax.set_ylabel(label)
        if not rows[value].notna().any():
            _no_data(ax)
    left.set_ylim(-1, 1)
    right.set_ylim(0, 1)
    left.set_title("Rank correlation (dashed: none)")
    right.set_title("Area under the ROC curve (dashed: chance)")
    if handles:
        drawn = [c for c in classifiers if c in handles]
        right.legend([handles[c] for c in drawn], drawn, fontsize=7, frameon=False, loc="upper left",
                     bbox_to_anchor=(1.0, 1.0))
    fig.suptitle("Model attention against human attention (bars: mean, whiskers: 95 % CI, dots: images)", fontsize=10)
    fig.tight_layout()
    return fig
