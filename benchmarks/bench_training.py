"""Train both reference models with default settings and print their times and test figures.

    .venv/bin/python benchmarks/bench_training.py [--workdir DIR] [--seed N] [--drift]

Simulates the default dataset (scenario ``none``), trains the LSTM and the GCN with their
defaults (wall and CPU seconds each), and prints each model's test figure next to its
baseline's. With ``--drift`` it then replays the production days of every scenario through
the exported ONNX models (same seed, so the same training data) and prints the mean R2 and
the F1 per day, which shows the models getting worse once a drift starts.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from glass_metrics.models.baselines import f1_score, r2_scores
from glass_metrics.models.training import train
from glass_metrics.plant import datasets
from glass_metrics.plant.scenarios import SCENARIOS
from glass_metrics.plant.simulator import simulate

FIGURES = {
    "lstm": ("test_r2_score", "baseline_test_r2_score"),
    "gnn": ("test_f1_score", "baseline_test_f1_score"),
}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; exit status 1 if a model misses its target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=None, help="default: a temporary folder")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--drift", action="store_true", help="also replay drift scenarios")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        work = args.workdir or Path(tmp)
        started = time.perf_counter()
        simulate(work / "data", seed=args.seed)
        print(f"simulate: {time.perf_counter() - started:.1f} s")
        reports = {kind: _train(kind, work, args.seed) for kind in FIGURES}
        if args.drift:
            _replay_drift(work, args.seed, reports)
    return 0 if all(_meets_target(kind, r) for kind, r in reports.items()) else 1


def _train(kind: str, work: Path, seed: int) -> dict:
    wall, cpu = time.perf_counter(), time.process_time()
    report = train(
        kind,
        work / "data",
        onnx_path=work / "models" / f"{kind}.onnx",
        out=work / "ml_metrics",
        seed=seed,
        run_name=f"bench-{kind}",
    )
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    model, baseline = FIGURES[kind]
    print(
        f"{kind}: {wall:.1f} s wall, {cpu:.1f} s CPU; {model} {report[model]:.3f} vs "
        f"{baseline} {report[baseline]:.3f} (margin {report[model] - report[baseline]:.3f})"
    )
    return report


def _meets_target(kind: str, report: dict) -> bool:
    model, baseline = FIGURES[kind]
    floor = 0.6 if kind == "lstm" else 0.85
    return report[model] >= floor and report[model] - report[baseline] >= 0.1


def _replay_drift(work: Path, seed: int, reports: dict) -> None:
    import onnxruntime as ort

    lstm = ort.InferenceSession(reports["lstm"]["onnx"])
    gnn = ort.InferenceSession(reports["gnn"]["onnx"])
    threshold = float(gnn.get_modelmeta().custom_metadata_map["decision_threshold"])
    print("per production day: LSTM mean R2 / GNN F1")
    for scenario in SCENARIOS:
        folder = work / f"data_{scenario}"
        manifest = simulate(folder, seed=seed, scenario=scenario)
        cells = [
            _day_figures(folder, entry["file"], manifest, lstm, gnn, threshold)
            for entry in manifest["production"]
        ]
        print(f"  {scenario:<20} drift from day {manifest['drift_start_day']}: " + " ".join(cells))


def _day_figures(folder: Path, file: str, manifest: dict, lstm, gnn, threshold: float) -> str:
    frame = datasets.load_frame(folder / file, manifest)
    x, y = datasets.lstm_arrays(frame, manifest)
    r2 = float(np.nanmean(r2_scores(y, lstm.run(None, {"sensor_window": x})[0])))
    nodes = datasets.gnn_arrays(frame, manifest)
    probability = gnn.run(None, {"node_features": nodes.x})[0]
    return f"{r2:.2f}/{f1_score(nodes.y, probability >= threshold):.2f}"


if __name__ == "__main__":
    sys.exit(main())
