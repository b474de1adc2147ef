"""``make bench``: every benchmark, each printing its figures and baseline ratios; then
the hot paths of issue 11 in one table, against their targets.

``python -m tests.bench hot`` runs only the hot-path benchmarks (core and delivery).
"""

import sys

from tests.bench import bench_core, bench_delivery, bench_diffs, bench_longpoll, bench_shapes

#: The hot paths: (row key, label, target on SQLite, target on PostgreSQL, unit).
HOT_PATHS = (
    ("healthz", "GET /healthz (per-request floor)", 0.75, 0.75, "x"),
    ("editors", "editors' GET /api/v1/articles/{id}", 0.40, 0.40, "x"),
    ("partner", "partner GET /content/v1/articles/{id}", 0.55, 0.55, "x"),
    ("not_modified", "partner 304 (If-None-Match)", 0.70, 0.70, "x"),
    ("writes", "revision writes, 8 writers (revisions/s)", 400, 350, "/s"),
)


def print_hot_paths(rows: dict[str, dict[str, float]]) -> None:
    """Print each hot path's figure per database beside its target."""
    labels = list(rows)
    print("\n== hot paths (issue 11 point 7): ratio to bare Flask in the same run ==")
    print(f"{'':44}" + "".join(f"{label:>14}" for label in labels) + "   target (sqlite/pg)")
    for key, text, sqlite_target, pg_target, unit in HOT_PATHS:
        cells = ""
        for label in labels:
            value = rows[label][key]
            target = sqlite_target if label == "sqlite" else pg_target
            mark = " " if value >= target else "!"
            figure = f"{value:.2f}x" if unit == "x" else f"{value:.0f}/s"
            cells += f"{figure + mark:>14}"
        print(f"{text:<44}{cells}   {sqlite_target}{unit} / {pg_target}{unit}")


def main(argv: list[str]) -> None:
    if "hot" not in argv:
        for bench in (bench_diffs, bench_shapes, bench_longpoll):
            bench.main()
    rows: dict[str, dict[str, float]] = {}
    for bench in (bench_core, bench_delivery):
        for label, figures in bench.main().items():
            rows.setdefault(label, {}).update(figures)
    print_hot_paths(rows)


main(sys.argv[1:])
