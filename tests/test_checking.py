"""``glass-metrics check`` over JSON summaries and Prometheus textfiles."""

from __future__ import annotations

import json
from pathlib import Path

from glass_metrics.checking import check_path
from glass_metrics.cli import main
from tests.spec_figures import SPEC_GNN, SPEC_LSTM

SPEC_PROM = """\
# HELP lstm_mse Mean squared error of the LSTM
# TYPE lstm_mse gauge
lstm_mse 0.15688881278038025
# TYPE lstm_rmse gauge
lstm_rmse 0.39609193801879883
# TYPE lstm_r2_score gauge
lstm_r2_score -13.996207237243652
# TYPE lstm_last_evaluation_timestamp_seconds gauge
lstm_last_evaluation_timestamp_seconds 1.7e9
# TYPE lstm_defect_mse gauge
lstm_defect_mse{defect="bubbles"} 0.1
# TYPE gnn_accuracy gauge
gnn_accuracy 5.263157894736842
# TYPE gnn_f1_score gauge
gnn_f1_score 0.6578947368421052
# TYPE gnn_precision gauge
gnn_precision 0.3508771929824561
# TYPE gnn_recall gauge
gnn_recall 5.263157894736842
# TYPE gnn_samples gauge
gnn_samples 19
"""


def _summary(path: Path, name: str, entries: list[dict]) -> Path:
    file = path / f"{name}_summary.json"
    file.write_text(json.dumps({"experiment_name": name, "metrics_history": {"test": entries}}))
    return file


def _check(capsys, path: Path) -> tuple[int, str]:
    code = main(["check", str(path)])
    return code, capsys.readouterr().out


def test_spec_summaries_are_rejected(tmp_path: Path, capsys) -> None:
    _summary(
        tmp_path,
        "GNN_ONNX_Evaluation",
        [{**SPEC_GNN, "timestamp": "2026-12-03T10:00:00Z", "model_version": "1"}],
    )
    _summary(tmp_path, "LSTM_ONNX_Evaluation", [SPEC_LSTM])

    code, out = _check(capsys, tmp_path)

    assert code == 1
    assert (
        "ERROR ratio-out-of-range [accuracy]: GNN_ONNX_Evaluation_summary.json test[0]: "
        "accuracy = 5.263157894736842 is outside [0, 1]; it looks like a percentage"
    ) in out
    assert "ERROR f1-mixed-units [f1_score]: GNN_ONNX_Evaluation_summary.json test[0]" in out
    assert (
        "WARNING r2-negative [r2_score]: LSTM_ONNX_Evaluation_summary.json test[0]: "
        "r2_score = -13.996207237243652 is below 0"
    ) in out
    assert "LSTM_ONNX_Evaluation_summary.json test[0]: rmse" not in out


def test_spec_prom_file_is_rejected(tmp_path: Path, capsys) -> None:
    (tmp_path / "evaluation.prom").write_text(SPEC_PROM)

    code, out = _check(capsys, tmp_path / "evaluation.prom")

    assert code == 1
    assert "ERROR ratio-out-of-range [recall]: evaluation.prom gnn: recall = 5.263" in out
    assert (
        "WARNING sample-too-small [precision]: evaluation.prom gnn: precision = 0.3509 "
        "rests on n = 19 samples" in out
    )
    assert "WARNING r2-negative [r2_score]: evaluation.prom lstm: " in out
    assert "rmse-mse-mismatch" not in out


def test_consistent_figures_pass(tmp_path: Path, capsys) -> None:
    _summary(
        tmp_path,
        "GNN_ONNX_Evaluation",
        [
            {
                "accuracy": 0.95,
                "f1_score": 0.91,
                "precision": 0.93,
                "recall": 0.89,
                "n_samples": 12000,
                "ci95": {"accuracy": [0.946, 0.954]},
                "dataset": "test",
                "per_defect": {"bubbles": {"mse": 5}},
            }
        ],
    )
    (tmp_path / "lstm_evaluation.prom").write_text(
        "# TYPE lstm_mse gauge\nlstm_mse 0.04\n# TYPE lstm_rmse gauge\nlstm_rmse 0.2\n"
        "# TYPE lstm_samples gauge\nlstm_samples 5000\n"
    )
    code, out = _check(capsys, tmp_path)
    assert code == 0
    assert out.strip() == "0 findings, 0 errors"


def test_breakdowns_are_checked_per_label_set(tmp_path: Path) -> None:
    (tmp_path / "x.prom").write_text(
        '# TYPE lstm_defect_mse gauge\nlstm_defect_mse{defect="stones"} 0.09\n'
        '# TYPE lstm_defect_rmse gauge\nlstm_defect_rmse{defect="stones"} 0.5\n'
    )
    findings = check_path(tmp_path)
    assert [f.code for f in findings] == []
    (tmp_path / "y.prom").write_text(
        '# TYPE lstm_mse gauge\nlstm_mse{defect="stones"} 0.09\n'
        '# TYPE lstm_rmse gauge\nlstm_rmse{defect="stones"} 0.5\n'
    )
    (finding,) = check_path(tmp_path / "y.prom")
    assert finding.message.startswith('y.prom lstm{defect="stones"}: rmse² = 0.25 but mse = 0.09')


def test_unreadable_files_are_errors(tmp_path: Path) -> None:
    (tmp_path / "bad.prom").write_text("lstm_mse{ 1 2 3\n")
    (tmp_path / "bad_summary.json").write_text("{not json")
    (tmp_path / "odd_summary.json").write_text("[]")
    codes = [(f.severity, f.code) for f in check_path(tmp_path)]
    assert codes == [("error", "unreadable-file")] * 3


def test_nothing_to_check_is_a_warning(tmp_path: Path, capsys) -> None:
    code, out = _check(capsys, tmp_path)
    assert code == 0
    assert "WARNING nothing-to-check" in out


def test_missing_path_exits_2(tmp_path: Path, capsys) -> None:
    assert main(["check", str(tmp_path / "nope")]) == 2
    assert "no such file or folder" in capsys.readouterr().err


def test_infinite_gauge_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a.prom").write_text("# TYPE gnn_accuracy gauge\ngnn_accuracy +Inf\n")
    assert [(f.severity, f.code) for f in check_path(tmp_path)] == [("error", "not-finite")]


def test_nan_gauge_is_an_undefined_figure_not_an_error(tmp_path: Path) -> None:
    (tmp_path / "a.prom").write_text("# TYPE gnn_mcc gauge\ngnn_mcc NaN\n")
    (finding,) = check_path(tmp_path)
    assert (finding.severity, finding.code, finding.metric) == (
        "warning",
        "undefined-metric",
        "mcc",
    )


def _summary_with_null_mcc(tmp_path: Path, findings: list[dict]) -> None:
    entry = {"accuracy": 0.5, "mcc": None, "n_samples": 100, "findings": findings}
    summary = {"experiment_name": "GNN_ONNX_Evaluation", "metrics_history": {"test": [entry]}}
    (tmp_path / "GNN_ONNX_Evaluation_summary.json").write_text(json.dumps(summary))


def test_null_declared_undefined_is_a_warning(tmp_path: Path) -> None:
    declared = [
        {
            "severity": "warning",
            "code": "undefined-metric",
            "metric": "mcc",
            "message": "mcc is undefined: no negative predictions",
        }
    ]
    _summary_with_null_mcc(tmp_path, declared)
    codes = [(f.severity, f.code) for f in check_path(tmp_path) if f.metric == "mcc"]
    assert codes == [("warning", "undefined-metric")]


def test_null_without_a_reason_is_an_error(tmp_path: Path) -> None:
    _summary_with_null_mcc(tmp_path, [])
    codes = [(f.severity, f.code) for f in check_path(tmp_path) if f.metric == "mcc"]
    assert codes == [("error", "not-a-number")]
