"""One look for every figure: colour-blind-safe colours, labelled axes, PNG + PDF output."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from varemotion.atomic import write_atomically  # noqa: E402

#: Okabe–Ito palette, distinguishable under the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")

#: A perceptually uniform map for magnitudes (confusion counts, saliency).
SEQUENTIAL_CMAP = "viridis"

STYLE = {
    "figure.dpi": 100,
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
    "savefig.bbox": "tight",
    "pdf.fonttype": 42,
}


def new_figure(*args, **kwargs):
    """`plt.subplots` with the project style applied."""
    with plt.rc_context(STYLE):
        return plt.subplots(*args, **kwargs)


def save_figure(figure, png: str | Path, pdf: str | Path, dpi: int = 150) -> None:
    """Write a figure as PNG and PDF, each atomically, and close it."""
    # Fixed metadata keeps repeated builds byte-identical.
    try:
        for path, metadata in ((Path(png), {"Software": None}), (Path(pdf), {"CreationDate": None, "Producer": None})):
            with plt.rc_context(STYLE):
                write_atomically(path, lambda handle: figure.savefig(
                    handle, format=path.suffix[1:], dpi=dpi, metadata=metadata))
    finally:
        plt.close(figure)


def bare_axis(ax) -> None:
    """An axis that only shows an image: no ticks, no frame (labels and titles stay available)."""
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
