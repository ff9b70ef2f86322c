"""``glass-metrics score``: JSON and table output, and a clear exit 2 for each kind of bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from glass_metrics.cli import main
from glass_metrics.scoring import format_table, score_file

DEFECTS = ["bubbles", "stones"]


@pytest.fixture
def binary_frame() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    y = (rng.random(2500) < 0.3).astype(int)
    return pd.DataFrame({"y_true": y, "y_score": np.clip(rng.normal(0.3 + 0.4 * y, 0.2), 0, 1)})


@pytest.fixture
def regression_frame() -> pd.DataFrame:
    rng = np.random.default_rng(12)
    frame = {}
    for name, noise in zip(DEFECTS, [0.1, 0.5], strict=True):
        truth = rng.random(1500)
        frame[f"true_{name}"] = truth
        frame[f"pred_{name}"] = truth + rng.normal(0, noise, 1500)
    frame["batch"] = np.arange(1500)
    return pd.DataFrame(frame)


def _run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["score", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_binary_json_matches_sklearn(tmp_path: Path, capsys, binary_frame, suffix) -> None:
    path = tmp_path / f"gnn{suffix}"
    getattr(binary_frame, "to_parquet" if suffix == ".parquet" else "to_csv")(path, index=False)

    code, out, _ = _run(
        capsys, str(path), "--task", "binary", "--format", "json", "--chunk-rows", "700"
    )
    report = json.loads(out)

    assert code == 0
    assert report["n_samples"] == 2500
    y, s = binary_frame["y_true"], binary_frame["y_score"]
    assert report["metrics"]["f1_score"]["value"] == pytest.approx(skm.f1_score(y, s >= 0.5))
    assert report["metrics"]["accuracy"]["n"] == 2500
    assert set(report["metrics"]) >= {
        "accuracy",
        "precision",
        "recall",
        "f1_score",
        "mcc",
        "balanced_accuracy",
        "roc_auc",
        "pr_auc",
        "ece",
    }
    assert report["confusion"]["tp"] == int(((s >= 0.5) & (y == 1)).sum())


def test_regression_json_per_output(tmp_path: Path, capsys, regression_frame) -> None:
    path = tmp_path / "lstm.parquet"
    regression_frame.to_parquet(path)

    code, out, _ = _run(capsys, str(path), "--task", "regression", "--format", "json")
    report = json.loads(out)

    assert code == 0
    assert list(report["per_output"]) == DEFECTS
    truth, pred = regression_frame["true_stones"], regression_frame["pred_stones"]
    stones = report["per_output"]["stones"]
    assert stones["mse"]["value"] == pytest.approx(skm.mean_squared_error(truth, pred))
    assert stones["r2_score"]["ci95"][0] < stones["r2_score"]["value"]
    assert report["metrics"]["rmse"]["value"] ** 2 == pytest.approx(
        report["metrics"]["mse"]["value"]
    )
    assert [f["code"] for f in report["findings"] if f["severity"] == "error"] == []


def test_table_output(tmp_path: Path, capsys, regression_frame) -> None:
    path = tmp_path / "lstm.csv"
    regression_frame.to_csv(path, index=False)
    code, out, _ = _run(capsys, str(path), "--task", "regression", "--outputs", "bubbles")
    assert code == 0
    assert "output bubbles" in out
    assert "stones" not in out
    assert out.splitlines()[1].split() == ["metric", "value", "95%", "interval", "n"]


def _write_csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("csv", "args", "message"),
    [
        (
            "y_true,y_score\n0,0.1\n1,nan\n1,inf\n",
            [],
            "'y_score': 2 NaN or infinite values; first at row 1",
        ),
        (
            "y_true,y_score\n0,0.1\n2,0.5\n3,0.2\n",
            [],
            "'y_true': 2 labels other than 0 and 1; first at row 1 (value 2)",
        ),
        (
            "y_true,y_score\n0,0.1\n1,1.5\n",
            [],
            "'y_score': 1 values outside [0, 1]; first at row 1",
        ),
        ("y_true,y_score\n", [], "no rows to score (the file is empty)"),
        ("", [], "cannot read as csv"),
        (
            "label,score\n0,0.1\n",
            [],
            "missing column(s) 'y_true', 'y_score'; columns present: 'label', 'score'",
        ),
        (
            "y_true,y_score\n0,0.1\n1,high\n",
            [],
            "column 'y_score' has 1 non-numeric values; first at row 1 (value 'high')",
        ),
        ("a,b\n1,2\n", ["--task", "regression"], "no column pairs true_<output> / pred_<output>"),
    ],
)
def test_bad_input_exits_2_naming_the_problem(tmp_path, capsys, csv, args, message) -> None:
    path = _write_csv(tmp_path, csv)
    task = [] if "--task" in args else ["--task", "binary"]
    code, _, err = _run(capsys, str(path), *task, *args, "--chunk-rows", "2")
    assert code == 2
    assert message in err
    assert str(path) in err


def test_problem_counts_span_all_chunks(tmp_path, capsys) -> None:
    rows = "\n".join(["0,0.5"] * 5 + ["0,nan"] + ["1,0.5"] * 5 + ["1,nan"])
    path = _write_csv(tmp_path, "y_true,y_score\n" + rows + "\n")
    code, _, err = _run(capsys, str(path), "--task", "binary", "--chunk-rows", "3")
    assert code == 2
    assert "'y_score': 2 NaN or infinite values; first at row 5" in err


def test_missing_and_unsupported_files(tmp_path, capsys) -> None:
    code, _, err = _run(capsys, str(tmp_path / "none.parquet"), "--task", "binary")
    assert (code, "no such file" in err) == (2, True)
    other = tmp_path / "x.txt"
    other.write_text("1")
    code, _, err = _run(capsys, str(other), "--task", "binary")
    assert (code, "expected a .parquet or .csv file" in err) == (2, True)
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet")
    code, _, err = _run(capsys, str(broken), "--task", "binary")
    assert (code, "cannot read as parquet" in err) == (2, True)


def test_format_table_marks_undefined(tmp_path) -> None:
    path = tmp_path / "one_class.csv"
    path.write_text("y_true,y_score\n0,0.2\n0,0.7\n")
    with pytest.warns(UserWarning):
        report = score_file(path, task="binary")
    table = format_table(report)
    assert "undefined" in table
    assert "WARNING undefined-metric [recall]: recall is undefined: no positive labels" in table
