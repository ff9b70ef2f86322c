"""Speed and memory of the metric engine against a plain read pass and scikit-learn.

Run: ``python benchmarks/bench_metrics.py [--n 10000000] [--score-rss]``.

In one run, on the same float32 arrays, it times
- a read pass (``np.add.reduce`` over every input array): the memory-bandwidth floor;
- scikit-learn's per-metric calls (regression per output; binary per metric);
- our full regression suite (MSE, MAE, RMSE, R2 with intervals, k outputs) and our full
  binary suite (confusion metrics, ROC-AUC and PR-AUC), fed in chunks;
and prints seconds, the ratios ours / read pass and scikit-learn / ours, and the peak memory
our path allocates (tracemalloc, in a separate untimed pass; it does not see the regression
kernel's own scratch, which numba allocates: 3 KiB per output). The regression kernel is
compiled by numba on first use: the benchmark warms it before timing, and prints separately
what the first update costs in a fresh process, with an empty numba cache (the compile) and
with the cache that run filled (the load). ``--score-rss`` also writes a Parquet file of
``--n`` rows and measures the peak RSS of ``glass-metrics score`` on it against an
interpreter that only imports the package.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np

from glass_metrics.metrics import BinaryState, RegressionState


def best_of(repeat: int, fn: Callable[[], object]) -> float:
    """Fastest wall time of ``repeat`` calls, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def peak_bytes(fn: Callable[[], object]) -> int:
    """Peak bytes allocated (numpy included) while ``fn`` runs."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def make_data(n: int, k: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    y_true = rng.random((n, k), dtype=np.float32)
    y_pred = y_true + rng.standard_normal((n, k), dtype=np.float32) * np.float32(0.1)
    labels = rng.random(n, dtype=np.float32) < 0.3
    scores = np.clip(
        rng.standard_normal(n, dtype=np.float32) * np.float32(0.2)
        + np.float32(0.35)
        + labels * np.float32(0.3),
        0,
        1,
    )
    return {"y_true": y_true, "y_pred": y_pred, "labels": labels.astype(np.int8), "scores": scores}


def ours_regression(d: dict[str, np.ndarray], chunk: int) -> None:
    state = RegressionState([f"o{j}" for j in range(d["y_true"].shape[1])])
    for i in range(0, len(d["y_true"]), chunk):
        state.update(d["y_true"][i : i + chunk], d["y_pred"][i : i + chunk])
    state.compute()


def ours_binary(d: dict[str, np.ndarray], chunk: int) -> None:
    state = BinaryState(0.5)
    for i in range(0, len(d["scores"]), chunk):
        state.update(d["labels"][i : i + chunk], d["scores"][i : i + chunk])
    state.compute()


def sklearn_regression(d: dict[str, np.ndarray]) -> None:
    from sklearn import metrics as skm

    for j in range(d["y_true"].shape[1]):
        t, p = d["y_true"][:, j], d["y_pred"][:, j]
        skm.mean_squared_error(t, p)
        skm.mean_absolute_error(t, p)
        skm.r2_score(t, p)


def sklearn_binary(d: dict[str, np.ndarray]) -> None:
    from sklearn import metrics as skm

    y, s = d["labels"], d["scores"]
    pred = s >= 0.5
    for metric in (
        skm.accuracy_score,
        skm.precision_score,
        skm.recall_score,
        skm.f1_score,
        skm.balanced_accuracy_score,
        skm.matthews_corrcoef,
    ):
        metric(y, pred)
    skm.roc_auc_score(y, s)
    skm.average_precision_score(y, s)


def report(name: str, read: float, ours: float, sklearn: float | None, peak: int) -> None:
    line = (
        f"{name:<11} read pass {read:8.4f} s | ours {ours:8.4f} s ({ours / read:5.2f}x read pass)"
    )
    if sklearn is not None:
        line += f" | scikit-learn {sklearn:8.3f} s ({sklearn / ours:6.1f}x slower than ours)"
    print(line + f" | our peak extra memory {peak / 2**20:6.2f} MiB")


FIRST_UPDATE = """
import time, numpy as np
from glass_metrics.metrics import RegressionState
y = np.ones((10, 2), np.float32)
start = time.perf_counter()
RegressionState(["a", "b"]).update(y, y)
print(time.perf_counter() - start)
"""


def first_update_seconds() -> tuple[float, float]:
    """The first float32 regression update in two fresh processes sharing a new numba cache."""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}

        def run() -> float:
            argv = [sys.executable, "-c", FIRST_UPDATE]
            return float(subprocess.run(argv, env=env, check=True, capture_output=True).stdout)

        compile_s = run()
        return compile_s, run()


def bench_engine(args: argparse.Namespace) -> None:
    d = make_data(args.n, args.k, args.seed)
    print(
        f"n = {args.n:,}, regression outputs = {args.k}, float32, chunk = {args.chunk:,} rows, "
        f"best of {args.repeat}"
    )
    compile_s, load_s = first_update_seconds()
    print(
        f"regression kernel, first update in a fresh process: {compile_s:.2f} s with an empty "
        f"numba cache (compile), {load_s:.2f} s with it filled (load); not in the timings below"
    )
    ours_regression({name: a[:1000] for name, a in d.items()}, args.chunk)  # warm the kernel

    read_reg = best_of(
        args.repeat,
        lambda: (np.add.reduce(d["y_true"], axis=None), np.add.reduce(d["y_pred"], axis=None)),
    )
    ours_reg = best_of(args.repeat, lambda: ours_regression(d, args.chunk))
    sk_reg = None if args.no_sklearn else best_of(1, lambda: sklearn_regression(d))
    report(
        "regression", read_reg, ours_reg, sk_reg, peak_bytes(lambda: ours_regression(d, args.chunk))
    )

    read_bin = best_of(
        args.repeat, lambda: (np.add.reduce(d["scores"]), np.add.reduce(d["labels"]))
    )
    ours_bin = best_of(args.repeat, lambda: ours_binary(d, args.chunk))
    sk_bin = None if args.no_sklearn else best_of(1, lambda: sklearn_binary(d))
    report("binary", read_bin, ours_bin, sk_bin, peak_bytes(lambda: ours_binary(d, args.chunk)))


def child_peak_mib(argv: list[str]) -> float:
    """Peak RSS of a child process running ``argv`` (MiB), measured by a fresh wrapper."""
    wrapper = (
        "import resource, subprocess, sys\n"
        "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", wrapper, *argv], check=True, capture_output=True, text=True
    ).stdout
    return int(out.split()[-1]) / 1024


def write_parquet(path: Path, n: int, k: int, seed: int) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    writer = None
    for start in range(0, n, 1_000_000):
        rows = min(1_000_000, n - start)
        cols = {}
        for j in range(k):
            truth = rng.random(rows, dtype=np.float32)
            cols[f"true_d{j}"] = truth
            cols[f"pred_d{j}"] = truth + rng.standard_normal(rows, dtype=np.float32) * 0.1
        table = pa.table(cols)
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    assert writer is not None
    writer.close()


def bench_score_rss(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "predictions.parquet"
        write_parquet(path, args.n, args.k, args.seed)
        size = os.path.getsize(path) / 2**20
        bare = child_peak_mib([sys.executable, "-c", "pass"])
        base = child_peak_mib(
            [sys.executable, "-c", "import glass_metrics.scoring, pyarrow.parquet, pandas"]
        )
        start = time.perf_counter()
        peak = child_peak_mib(
            [
                sys.executable,
                "-m",
                "glass_metrics.cli",
                "score",
                str(path),
                "--task",
                "regression",
                "--format",
                "json",
            ]
        )
        took = time.perf_counter() - start
    print(
        f"score RSS   {args.n:,} rows x {2 * args.k} float32 columns ({size:.0f} MiB Parquet): "
        f"peak {peak:.0f} MiB; {peak - bare:.0f} MiB above the bare interpreter ({bare:.0f} MiB), "
        f"{peak - base:.0f} MiB above it with the package, pandas and pyarrow imported "
        f"({base:.0f} MiB); {took:.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000_000, help="samples")
    parser.add_argument("--k", type=int, default=6, help="regression outputs")
    parser.add_argument("--chunk", type=int, default=1_000_000, help="rows per update")
    parser.add_argument("--repeat", type=int, default=3, help="timed repeats (best is kept)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-sklearn", action="store_true", help="skip scikit-learn")
    parser.add_argument(
        "--score-rss",
        action="store_true",
        help="also measure glass-metrics score's peak RSS on a Parquet file",
    )
    parser.add_argument("--only-score-rss", action="store_true", help="only that measurement")
    args = parser.parse_args()
    if not args.only_score_rss:
        bench_engine(args)
    if args.score_rss or args.only_score_rss:
        bench_score_rss(args)


if __name__ == "__main__":
    main()
