"""The ranking map as a static picture (PNG) for the printed bulletin (月度通报).

The interactive ranking map (geo.maps.ranking) needs Leaflet, a basemap and a browser;
a printed page needs none of that. This draws the village polygons with matplotlib in the
same classes and colours (Fisher–Jenks breaks, ColorBrewer Greens, top five outlined
blue, bottom ten dashed red), with no basemap tiles, so it renders offline every time.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence

import geopandas as gpd

from geo.maps.ranking import (
    NO_SCORE,
    OUTLINE_BOTTOM,
    OUTLINE_TOP,
    SCORE_COLORS,
    score_breaks,
)

CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans CJK", "WenQuanYi Zen Hei")
"""Font families tried for the Chinese legend (fonts-noto-cjk)."""


def _class_colors(k: int) -> list[str]:
    picks = {1: [4], 2: [1, 4], 3: [0, 2, 4], 4: [0, 1, 3, 4], 5: [0, 1, 2, 3, 4]}[k]
    return [SCORE_COLORS[i] for i in picks]


def class_of(score: float | None, uppers: Sequence[float]) -> int | None:
    """Index of the score class (0 = lowest) whose upper bound holds `score`."""
    if score is None:
        return None
    for i, upper in enumerate(uppers):
        if score <= upper + 1e-9:
            return i
    return len(uppers) - 1


def ranking_picture(
    villages: gpd.GeoDataFrame,
    scores: Mapping[str, float | None],
    *,
    ranks: Mapping[str, int],
    top: Sequence[str] = (),
    bottom: Sequence[str] = (),
    width_in: float = 7.0,
    height_in: float = 5.6,
    dpi: int = 150,
) -> bytes:
    """PNG bytes: villages (`code`, geometry) coloured by score class, labelled by rank."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    plt.rcParams["font.sans-serif"] = [*CJK_FONTS, "DejaVu Sans"]
    plt.rcParams["axes.unicode_minus"] = False
    values = [s for s in scores.values() if s is not None]
    uppers = score_breaks(values)
    colors = _class_colors(len(uppers))
    frame = villages.copy()
    frame["fill"] = [
        NO_SCORE if (k := class_of(scores.get(code), uppers)) is None else colors[k]
        for code in frame["code"]
    ]
    fig, ax = plt.subplots(figsize=(width_in, height_in), dpi=dpi)
    try:
        frame.plot(ax=ax, color=frame["fill"], edgecolor="#636363", linewidth=0.6)
        top_frame = frame[frame["code"].isin(list(top))]
        if not top_frame.empty:
            top_frame.boundary.plot(ax=ax, color=OUTLINE_TOP["color"], linewidth=2.0)
        bottom_frame = frame[frame["code"].isin(list(bottom))]
        if not bottom_frame.empty:
            bottom_frame.boundary.plot(
                ax=ax, color=OUTLINE_BOTTOM["color"], linewidth=1.8, linestyle=(0, (4, 2))
            )
        for code, point in zip(frame["code"], frame.representative_point(), strict=True):
            if code in ranks:
                ax.annotate(
                    str(ranks[code]), (point.x, point.y), ha="center", va="center", fontsize=7
                )
        lows = [min(values) if values else 0.0, *uppers[:-1]]
        handles = [
            Patch(facecolor=c, edgecolor="#636363", label=f"{lo:.1f} – {hi:.1f}")
            for c, lo, hi in zip(colors, lows, uppers, strict=True)
        ][::-1]
        handles += [
            Patch(facecolor=NO_SCORE, edgecolor="#636363", label="未评分"),
            Patch(
                facecolor="none", edgecolor=str(OUTLINE_TOP["color"]), linewidth=2, label="前五名"
            ),
            Patch(
                facecolor="none",
                edgecolor=str(OUTLINE_BOTTOM["color"]),
                linewidth=1.8,
                linestyle="--",
                label="后十名",
            ),
        ]
        ax.legend(handles=handles, loc="lower left", fontsize=7, title="得分", title_fontsize=8)
        ax.set_axis_off()
        lat = float(frame.geometry.union_all().centroid.y) if len(frame) else 0.0
        ax.set_aspect(1 / math.cos(math.radians(lat)))  # degrees: keep shapes true
        fig.tight_layout(pad=0.2)
        out = io.BytesIO()
        fig.savefig(out, format="png")
        return out.getvalue()
    finally:
        plt.close(fig)
