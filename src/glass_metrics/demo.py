"""The end-to-end demo: simulate the plant, train both models, evaluate, publish, monitor.

The plant is simulated with the ``sensor_drift`` scenario: the training, validation and test
data are healthy, and from the production stream's drift day on, the crown and refiner
thermocouples drift low. The demo trains and deploys both models, evaluates them on the test
split, then monitors the production stream day by day: healthy days first, then the drift
detected, an alert raised and delivered (to the outbox and the terminal, as no channel is
configured), the ``recalibrate`` action run, and the alert resolved if the recalibrated
model recovers.

Everything lands in one folder (``ml_metrics/`` by default) plus ``data/`` and ``models/``
in the working folder. Running it again appends to the history.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

from glass_metrics import api
from glass_metrics.config import EXPERIMENTS, OutputLayout
from glass_metrics.report import format_result

log = logging.getLogger(__name__)

#: Production days to simulate and training epochs (None: the defaults) per demo size.
SIZES: dict[str, dict[str, int | None]] = {
    "small": {"days": 5, "epochs": 2},
    "full": {"days": None, "epochs": None},
}
SCENARIO = "sensor_drift"


def run_demo(*, out: Path, workdir: Path, size: str = "full", seed: int = 0) -> dict:
    """Run the whole flow and print where to look; returns the evaluation results by model."""
    started = time.perf_counter()
    settings = SIZES[size]
    data_dir = Path(workdir) / "data"
    models_dir = Path(workdir) / "models"

    _simulate_once(data_dir, seed=seed, days=settings["days"])
    results = {}
    for kind in ("lstm", "gnn"):
        onnx_path = models_dir / f"{kind}.onnx"
        print(f"training {kind} ...", flush=True)
        report = api.train(
            kind,
            data_dir,
            onnx_path=onnx_path,
            out=out,
            epochs=settings["epochs"],
            seed=seed,
            deploy=True,
        )
        print(_training_line(kind, report), flush=True)
        results[kind] = api.evaluate(kind, onnx_path, data_dir, split="test", out=out)
        print(format_result(results[kind]), "\n", flush=True)

    for kind in ("lstm", "gnn"):
        _monitor(kind, data_dir, Path(out))

    print(_where_to_look(Path(out), data_dir, models_dir))
    print(f"demo finished in {time.perf_counter() - started:.0f} s")
    return results


def _simulate_once(data_dir: Path, *, seed: int, days: int | None) -> None:
    """Simulate into ``data_dir`` unless the same simulation is already there."""
    from glass_metrics.plant.simulator import simulate

    manifest_path = data_dir / "manifest.json"
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        same = manifest.get("seed") == seed and manifest.get("scenario") == SCENARIO
        if same and (days is None or manifest.get("days") == days):
            print(f"using the simulation already in {data_dir}")
            return
    print(f"simulating the glass line into {data_dir} ...", flush=True)
    simulate(data_dir, seed=seed, scenario=SCENARIO, days=days)


def _monitor(kind: str, data_dir: Path, out: Path) -> None:
    """Monitor the deployed ``kind`` model over the production days not yet seen."""
    from glass_metrics.monitoring.monitor import Monitor

    monitor = Monitor(kind, data_dir, out)
    pending = monitor.pending_windows()
    if not pending:
        print(f"monitoring {kind}: every production day was already evaluated")
        return
    print(f"monitoring {kind} (champion) over {len(pending)} production days ...", flush=True)
    for window in pending:
        outcome = monitor.process(window)
        print("  " + _day_line(outcome), flush=True)
        for event in outcome.events:
            print(f"    alert {event.headline()}")
        if outcome.recalibration is not None:
            print("    " + outcome.recalibration.format().replace("\n", "\n    "))
    notifier = monitor.notifier
    sent, waiting = len(list(notifier.sent_dir.glob("*.json"))), len(notifier.pending())
    print(f"  notifications delivered: {sent}, waiting: {waiting} (outbox {notifier.outbox})\n")


def _day_line(outcome) -> str:
    result = outcome.result
    names = ("mse", "r2_score", "ece") if result.kind == "lstm" else ("f1_score", "precision")
    figures = "  ".join(f"{n} {result.metrics[n].value:.4f}" for n in names)
    return f"{result.split:<20} v{result.model_version:<16} n={result.n_samples:<5} {figures}"


def _training_line(kind: str, report: dict) -> str:
    metric = "r2_score" if kind == "lstm" else "f1_score"
    model = report.get(f"test_{metric}")
    baseline = report.get(f"baseline_test_{metric}")
    return f"  {kind}: test {metric} {model:.4f} (baseline {baseline:.4f})"


def _where_to_look(out: Path, data_dir: Path, models_dir: Path) -> str:
    layout = OutputLayout(out)
    files = [layout.summary_json(e) for e in EXPERIMENTS.values()]
    files += [layout.prom_file(k) for k in EXPERIMENTS]
    lines = [
        "where to look next:",
        f"  tensorboard --logdir {layout.tensorboard}",
        f"  mlflow ui --backend-store-uri sqlite:///{layout.mlflow_db}",
        f"  glass-metrics check {out}",
        "files written:",
        *(f"  {path}" for path in files),
        f"  {layout.tensorboard}/",
        f"  {layout.mlflow_db} and {layout.mlruns}/",
        f"  data: {data_dir}/   models: {models_dir}/",
    ]
    return "\n".join(lines)
