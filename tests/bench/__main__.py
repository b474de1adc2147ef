"""``make bench``: every benchmark, each printing its figures and baseline ratios."""

from tests.bench import bench_core, bench_delivery, bench_diffs, bench_longpoll, bench_shapes

for bench in (bench_diffs, bench_shapes, bench_core, bench_delivery, bench_longpoll):
    bench.main()
