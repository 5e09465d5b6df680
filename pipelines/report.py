"""What a build made, read back from the store: the summary table printed by `helix run` and the
PNG report (counts, solution effort, timings per task and level) under <data root>/reports/."""

from __future__ import annotations

import math
from pathlib import Path

from storage.catalog import connect
from storage.objects import save_figure

SUMMARY_SQL = """
SELECT i.task, any_value(i.category) AS category, count(*) AS instances,
       round(100.0 * avg(CASE WHEN t.accepted THEN 1 ELSE 0 END), 1) AS accepted_pct,
       {effort_columns},
       count(DISTINCT i.level) AS levels
FROM instances i LEFT JOIN traces t ON t.instance_id = i.id AND t.source = 'skeleton'
WHERE i.split = ?
GROUP BY i.task ORDER BY any_value(i.category), i.task
"""


def summary(root: Path, split: str = "train") -> tuple[list[str], list[tuple]]:
    """Per task, the distinct instances of one split (benchmark rows have no skeleton trace and
    other solver settings: mixed in, they would halve the acceptance and the effort)."""
    effort = ", ".join(f"round(avg(CASE WHEN i.level = {lv} THEN i.effort END), 1) AS effort_l{lv}"
                       for lv in range(1, 6))
    con = connect(root)
    try:
        cursor = con.execute(SUMMARY_SQL.format(effort_columns=effort), [split])
        return [d[0] for d in cursor.description], cursor.fetchall()
    finally:
        con.close()


def write_png(summary_rows: list[dict], path: Path) -> Path:
    """Three heat maps (task x level): instances, mean effort, ms per instance."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = list(dict.fromkeys(r["task"] for r in summary_rows))
    levels = [1, 2, 3, 4, 5]
    index = {(r["task"], r["level"]): r for r in summary_rows}

    def grid(value):
        return [[value(index[(t, lv)]) if (t, lv) in index else math.nan for lv in levels] for t in tasks]

    panels = [
        ("instances", grid(lambda r: r["instances"]), "{:.0f}"),
        ("mean effort (search nodes / solution length)", grid(lambda r: r["mean_effort"]), "{:.0f}"),
        ("ms per instance (generate+solve+render+verify)",
         grid(lambda r: 1000 * sum(r["seconds_per_instance"].values())), "{:.1f}"),
    ]
    height = 1.2 + 0.28 * len(tasks)
    fig, axes = plt.subplots(1, 3, figsize=(15, height), constrained_layout=True)
    for ax, (title, data, fmt) in zip(axes, panels):
        shown = [[math.log10(v + 1) if v == v else math.nan for v in row] for row in data]
        ax.imshow(shown, aspect="auto", cmap="viridis")
        ax.set_title(title, fontsize=10)
        ax.set_xticks(range(5), [f"L{lv}" for lv in levels])
        ax.set_yticks(range(len(tasks)), tasks if ax is axes[0] else [""] * len(tasks), fontsize=8)
        for y, row in enumerate(data):
            for x, v in enumerate(row):
                if v == v:
                    ax.text(x, y, fmt.format(v), ha="center", va="center", fontsize=7, color="white")
    path.parent.mkdir(parents=True, exist_ok=True)
    save_figure(fig, path, dpi=90)
    plt.close(fig)
    return path
