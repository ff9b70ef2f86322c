"""The ``glass-metrics`` command: parses arguments, calls the package, prints the outcome.

Every command exits 0 on success, 1 when it ran but found errors (``check``), and 2 on
bad input, printing one line that names what was wrong.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

from glass_metrics.config import DEFAULT_OUT
from glass_metrics.errors import GlassMetricsError

log = logging.getLogger("glass_metrics.cli")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    verbosity = args.verbose - args.quiet
    # The demo narrates itself; its INFO log would repeat every line. -v brings it back.
    _configure_logging(verbosity - 1 if args.command == "demo" else verbosity)
    try:
        return int(args.handler(args) or 0)
    except GlassMetricsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _configure_logging(level: int) -> None:
    # An undefined metric is reported as a finding with the result; the warning is redundant.
    from glass_metrics.metrics import UndefinedMetricWarning

    warnings.simplefilter("ignore", UndefinedMetricWarning)
    chosen = {-1: logging.WARNING, 0: logging.INFO}.get(level, logging.DEBUG if level > 0 else 40)
    logging.basicConfig(level=chosen, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger().setLevel(logging.WARNING)
    logging.getLogger("glass_metrics").setLevel(chosen)
    # tensorboardX warns about every NaN point of a PR curve (an undefined precision), and
    # MLflow logs its schema migrations and set-up; an operator needs neither.
    logging.getLogger("tensorboardX").setLevel(logging.ERROR)
    for noisy in ("alembic", "mlflow.store.db.utils", "mlflow.tracking.fluent"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="glass-metrics", description=__doc__.splitlines()[0])
    parser.add_argument("-q", "--quiet", action="count", default=0, help="less output")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more output")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("simulate", help="simulate the float-glass line into Parquet files")
    p.add_argument("--out", type=Path, required=True, help="folder for the dataset")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--scenario", default="none", help="drift scenario (default: none)")
    p.add_argument("--days", type=int, default=None, help="days of production stream")
    p.set_defaults(handler=_simulate)

    p = sub.add_parser("train", help="train a reference model and export it to ONNX")
    p.add_argument("model", choices=["lstm", "gnn"])
    p.add_argument("--data", type=Path, required=True, help="folder written by simulate")
    p.add_argument("--onnx", type=Path, default=None, help="default: models/<model>.onnx")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="metrics folder")
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--run-name", default=None)
    p.set_defaults(handler=_train)

    p = sub.add_parser("score", help="metrics for a predictions file (Parquet or CSV)")
    p.add_argument("file", type=Path)
    p.add_argument("--task", choices=["regression", "binary"], required=True)
    p.add_argument("--format", choices=["json", "table"], default="table")
    p.add_argument("--threshold", type=float, default=0.5, help="binary decision threshold")
    p.add_argument("--y-true", default="y_true", help="binary label column")
    p.add_argument("--y-score", default="y_score", help="binary score column")
    p.add_argument(
        "--outputs",
        nargs="+",
        default=None,
        help="regression outputs (columns true_<o>, pred_<o>); default: all pairs",
    )
    p.add_argument("--true-prefix", default="true_")
    p.add_argument("--pred-prefix", default="pred_")
    p.add_argument("--chunk-rows", type=int, default=250_000, help="rows read per chunk")
    p.set_defaults(handler=_score)

    p = sub.add_parser("check", help="consistency checks over JSON summaries and .prom files")
    p.add_argument("path", type=Path)
    p.set_defaults(handler=_check)

    p = sub.add_parser("evaluate", help="evaluate an ONNX model and publish to every sink")
    p.add_argument("model", choices=["lstm", "gnn"])
    p.add_argument(
        "--model",
        dest="model_path",
        type=Path,
        default=None,
        help="ONNX file (default: the registry's champion in --out)",
    )
    p.add_argument("--data", type=Path, required=True, help="folder written by simulate")
    p.add_argument("--split", default="test")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    p.add_argument("--batch-size", type=int, default=1024)
    p.set_defaults(handler=_evaluate)

    p = sub.add_parser("monitor", help="evaluate each new labelled window and run the alerts")
    p.add_argument("model", choices=["lstm", "gnn"])
    p.add_argument("--data", type=Path, required=True, help="dataset folder (its manifest)")
    p.add_argument(
        "--model",
        dest="model_path",
        type=Path,
        default=None,
        help="ONNX file (default: the registry's champion)",
    )
    p.add_argument(
        "--watch",
        type=Path,
        default=None,
        help="folder of arriving Parquet windows (default: <data>/production)",
    )
    p.add_argument("--rules", type=Path, default=None, help="alert rules YAML (default: built in)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    p.add_argument("--limit", type=int, default=None, help="process at most this many windows")
    p.add_argument("--follow", action="store_true", help="keep polling for new windows")
    p.add_argument("--interval", type=float, default=60.0, help="seconds between polls")
    p.add_argument(
        "--no-recalibrate", action="store_true", help="do not run the recalibrate action"
    )
    p.set_defaults(handler=_monitor)

    p = sub.add_parser("alerts", help="alert rules: render them for Prometheus/Alertmanager")
    alerts = p.add_subparsers(dest="alerts_command", required=True)
    p = alerts.add_parser("render", help="write Prometheus rules, their tests, Alertmanager config")
    p.add_argument("--rules", type=Path, default=None, help="alert rules YAML (default: built in)")
    p.add_argument("--out", type=Path, default=Path("deploy"))
    p.set_defaults(handler=_alerts_render)
    p = alerts.add_parser("check", help="validate an alert rules YAML file")
    p.add_argument("rules", type=Path)
    p.set_defaults(handler=_alerts_check)

    p = sub.add_parser("registry", help="model versions and their aliases")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    registry = p.add_subparsers(dest="registry_command", required=True)
    registry.add_parser("list", help="registered models").set_defaults(handler=_registry_list)
    p = registry.add_parser("show", help="NAME, NAME@ALIAS or NAME/VERSION")
    p.add_argument("spec")
    p.set_defaults(handler=_registry_show)
    p = registry.add_parser("promote", help="make VERSION the champion of NAME")
    p.add_argument("name")
    p.add_argument("version")
    p.set_defaults(handler=_registry_promote)

    p = sub.add_parser("recalibrate", help="refit the calibration on a recent labelled window")
    p.add_argument("model", choices=["lstm", "gnn"])
    p.add_argument("--data", type=Path, required=True)
    p.add_argument(
        "--model",
        dest="model_path",
        type=Path,
        default=None,
        help="ONNX file (default: the registry's champion)",
    )
    p.add_argument(
        "--window",
        nargs="+",
        default=None,
        help="splits, e.g. production/day_005..day_007 (default: the last 3 days)",
    )
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    p.set_defaults(handler=_recalibrate)

    p = sub.add_parser("demo", help="simulate, train, evaluate and publish, end to end")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    p.add_argument(
        "--workdir",
        type=Path,
        default=Path("."),
        help="where data/ and models/ go (default: current folder)",
    )
    p.add_argument("--size", choices=["small", "full"], default="full")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(handler=_demo)
    return parser


def _simulate(args: argparse.Namespace) -> int:
    from glass_metrics.plant.simulator import simulate

    manifest = simulate(args.out, seed=args.seed, scenario=args.scenario, days=args.days)
    print(f"wrote {args.out} (scenario {manifest['scenario']}, seed {manifest['seed']})")
    return 0


def _train(args: argparse.Namespace) -> int:
    from glass_metrics.api import train

    onnx_path = args.onnx or Path("models") / f"{args.model}.onnx"
    report = train(
        args.model,
        args.data,
        onnx_path=onnx_path,
        out=args.out,
        epochs=args.epochs,
        seed=args.seed,
        run_name=args.run_name,
    )
    for name, value in report.items():
        print(f"{name:>28}: {value}")
    return 0


def _score(args: argparse.Namespace) -> int:
    from glass_metrics.scoring import format_table, score_file

    report = score_file(
        args.file,
        task=args.task,
        threshold=args.threshold,
        y_true=args.y_true,
        y_score=args.y_score,
        outputs=args.outputs,
        true_prefix=args.true_prefix,
        pred_prefix=args.pred_prefix,
        chunk_rows=args.chunk_rows,
    )
    print(json.dumps(report, indent=2) if args.format == "json" else format_table(report))
    return 0


def _check(args: argparse.Namespace) -> int:
    from glass_metrics.checking import check_path

    findings = check_path(args.path)
    for finding in findings:
        print(finding)
    errors = sum(f.severity == "error" for f in findings)
    print(f"{len(findings)} findings, {errors} errors")
    return 1 if errors else 0


def _evaluate(args: argparse.Namespace) -> int:
    from glass_metrics.api import evaluate
    from glass_metrics.report import format_result

    result = evaluate(
        args.model,
        args.model_path,
        args.data,
        split=args.split,
        out=args.out,
        batch_size=args.batch_size,
        progress=sys.stderr.isatty(),
    )
    print(format_result(result))
    return 0


def _monitor(args: argparse.Namespace) -> int:
    from glass_metrics.monitoring.monitor import Monitor
    from glass_metrics.monitoring.rules import load_rules

    monitor = Monitor(
        args.model,
        args.data,
        args.out,
        model=args.model_path,
        rules=load_rules(args.rules),
        watch=args.watch,
        recalibrate=not args.no_recalibrate,
    )
    if args.follow:
        monitor.run_forever(interval=args.interval)
        return 0
    for outcome in monitor.run_once(limit=args.limit):
        print(_monitor_line(outcome))
    for window, error in monitor.rejected:
        print(f"{window}: rejected, not evaluated: {error}", file=sys.stderr)
    return 1 if monitor.rejected else 0


def _monitor_line(outcome) -> str:
    result = outcome.result
    figures = ", ".join(f"{k} {v.value:.4f}" for k, v in list(result.metrics.items())[:4])
    alerts = "; ".join(e.headline() for e in outcome.events) or "no alert changes"
    return f"{outcome.window}: n={result.n_samples} {figures} | {alerts}"


def _alerts_render(args: argparse.Namespace) -> int:
    from glass_metrics.monitoring import load_rules, render_all

    for path in render_all(load_rules(args.rules), args.out):
        print(f"wrote {path}")
    return 0


def _alerts_check(args: argparse.Namespace) -> int:
    from glass_metrics.monitoring import load_rules

    rules = load_rules(args.rules)
    print(
        f"{args.rules}: {len(rules.thresholds)} threshold rules, "
        f"{len(rules.degradations)} degradation rules, valid"
    )
    return 0


def _registry_list(args: argparse.Namespace) -> int:
    from glass_metrics.registry import format_models, list_models

    print(format_models(list_models(root=args.out)))
    return 0


def _registry_show(args: argparse.Namespace) -> int:
    from glass_metrics.registry import format_show, show

    print(format_show(show(args.spec, root=args.out)))
    return 0


def _registry_promote(args: argparse.Namespace) -> int:
    from glass_metrics.registry import format_version, promote

    print(
        format_version(promote(args.name, args.version, root=args.out, reason="promoted by hand"))
    )
    return 0


def _recalibrate(args: argparse.Namespace) -> int:
    from glass_metrics.recalibration import latest_windows, recalibrate

    windows = args.window or latest_windows(args.data, 3)
    report = recalibrate(args.model, args.model_path, args.data, windows=windows, root=args.out)
    print(report.format())
    return 0


def _demo(args: argparse.Namespace) -> int:
    from glass_metrics.demo import run_demo

    run_demo(out=args.out, workdir=args.workdir, size=args.size, seed=args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
