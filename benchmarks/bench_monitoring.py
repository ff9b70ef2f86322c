"""Days to detection per drift scenario, and false alarms per 30 days of a healthy line.

    .venv/bin/python benchmarks/bench_monitoring.py [--days 30] [--seed 1] [--rules FILE]

Simulates the line under every scenario with one seed (the scenarios share the training,
validation and test data and differ only in the production stream, drifting from day 4),
trains both reference models once, evaluates them on every production day, and replays the
days through the alert rules (the packaged defaults unless ``--rules``), exactly as the
monitor would. Prints, per scenario and rule, the day each rule first fired and how often it
started firing; the days from the drift's start to the first alert of each model; and the
false alarms: every firing under ``none``, and under a drift scenario every firing before
the drift began.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import warnings
from pathlib import Path

from glass_metrics import api
from glass_metrics.monitoring.replay import detections, replay
from glass_metrics.monitoring.rules import load_rules
from glass_metrics.plant.scenarios import SCENARIOS
from glass_metrics.plant.simulator import simulate


def _evaluate_days(kind: str, model: Path, data: Path, days: int) -> list:
    return [
        api.evaluate(kind, model, data, split=f"production/day_{day:03d}", sinks=())
        for day in range(1, days + 1)
    ]


def _scenario_rows(kind, model, work, scenario, *, days, seed, rules):
    data = work / f"{scenario}-{kind}"
    manifest = simulate(data, seed=seed, scenario=scenario, days=days)
    drift_day = manifest.get("drift_start_day")
    baseline = api.evaluate(kind, model, data, split="test", sinks=())
    events = replay(_evaluate_days(kind, model, data, days), rules, baseline=baseline)
    firings = [(day, e) for day, e in events if e.status == "firing" and not e.repeat]
    false = [d for d, _ in firings if drift_day is None or d < drift_day]
    detected = [d for d, _ in firings if drift_day is not None and d >= drift_day]
    rows = [
        f"  {scenario:<20} {d.rule:<16} first day {d.first_window or '-':>3}  fired {d.times_fired}"
        for d in detections(events, rules)
        if rules.rules and any(r.name == d.rule and r.model == kind for r in rules.rules)
    ]
    to_detect = "-" if not detected else str(min(detected) - drift_day + 1)
    healthy = days if drift_day is None else drift_day - 1
    summary = (
        f"  {scenario:<20} drift from day {drift_day or '-'}: first alert on its day "
        f"{to_detect}; false alarms {len(false)} in {healthy} healthy days"
    )
    return rows, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rules", type=Path, default=None)
    args = parser.parse_args()
    # Undefined figures are findings of each result; the replay only needs the figures.
    warnings.simplefilter("ignore")
    logging.basicConfig(level=logging.WARNING)
    rules = load_rules(args.rules)

    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        simulate(work / "train", seed=args.seed, scenario="none", days=1)
        models = {}
        for kind in ("lstm", "gnn"):
            models[kind] = work / f"{kind}.onnx"
            api.train(
                kind,
                work / "train",
                onnx_path=models[kind],
                out=work / "ml_metrics",
                seed=args.seed,
            )

        for kind in ("lstm", "gnn"):
            print(f"{kind}: {args.days} production days per scenario, seed {args.seed}")
            summaries = []
            for scenario in SCENARIOS:
                rows, summary = _scenario_rows(
                    kind, models[kind], work, scenario, days=args.days, seed=args.seed, rules=rules
                )
                print("\n".join(rows))
                summaries.append(summary)
            print("\n".join(summaries))
            print()


if __name__ == "__main__":
    main()
