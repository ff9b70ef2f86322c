"""One calibrated ONNX graph: the original model with its calibration inside it.

LSTM: the original ``defect_logit`` and ``defect_probability`` are renamed
``defect_logit_before_calN``/``defect_probability_before_calN`` (N the calibration's number,
so a calibrated model can be recalibrated again) and new nodes compute the outputs of the
same names: ``defect_logit`` = ``a * logit + b`` (the *calibrated* logit, so
that ``defect_probability = sigmoid(defect_logit)`` still holds) and its sigmoid. Nodes that
only fed the old probability are removed. GNN: the graph is unchanged and the tuned threshold
is written to the metadata ``decision_threshold``, which evaluation reads; the probability
keeps its meaning.

Metadata added: ``version`` ``<old>+calN``, ``calibrated_from`` (the parent's SHA-256),
``calibration`` (the parameters as JSON).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import numpy as np

from glass_metrics.errors import ModelError
from glass_metrics.recalibration.calibrators import PlattParams, ThresholdParams


def next_version(version: str) -> str:
    """``1.0`` -> ``1.0+cal1``; ``1.0+cal1`` -> ``1.0+cal2``."""
    match = re.fullmatch(r"(?P<base>.*)\+cal(?P<n>\d+)", version)
    if match:
        return f"{match['base']}+cal{int(match['n']) + 1}"
    return f"{version}+cal1"


def calibrated_lstm(model_bytes: bytes, params: PlattParams, *, extra: dict | None = None) -> bytes:
    """The LSTM graph with per-defect Platt scaling applied to ``defect_logit``."""
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load_from_string(model_bytes)
    graph = model.graph
    outputs = {o.name for o in graph.output}
    if not {"defect_logit", "defect_probability"} <= outputs:
        raise ModelError(
            f"an LSTM must output 'defect_logit' and 'defect_probability' to be recalibrated; "
            f"it outputs {sorted(outputs)}"
        )
    _check_width(graph, params)
    tag = f"cal{_generation(graph)}"
    raw_logit = f"defect_logit_before_{tag}"
    _rename_tensor(graph, "defect_logit", raw_logit)
    _rename_tensor(graph, "defect_probability", f"defect_probability_before_{tag}")

    graph.initializer.extend(
        [
            numpy_helper.from_array(params.a.astype(np.float32), f"{tag}_platt_a"),
            numpy_helper.from_array(params.b.astype(np.float32), f"{tag}_platt_b"),
        ]
    )
    graph.node.extend(
        [
            helper.make_node(
                "Mul", [raw_logit, f"{tag}_platt_a"], [f"{tag}_scaled_logit"], name=f"{tag}_scale"
            ),
            helper.make_node(
                "Add",
                [f"{tag}_scaled_logit", f"{tag}_platt_b"],
                ["defect_logit"],
                name=f"{tag}_shift",
            ),
            helper.make_node(
                "Sigmoid", ["defect_logit"], ["defect_probability"], name=f"{tag}_sigmoid"
            ),
        ]
    )
    _restore_output_names(graph, tag)
    _prune_dead_nodes(graph)
    return _finish(model, model_bytes, params.to_dict(), extra)


def calibrated_gnn(
    model_bytes: bytes, params: ThresholdParams, *, extra: dict | None = None
) -> bytes:
    """The GNN graph unchanged, with ``decision_threshold`` set to the tuned threshold."""
    import onnx

    model = onnx.load_from_string(model_bytes)
    _set_metadata(model, {"decision_threshold": repr(float(params.threshold))})
    return _finish(model, model_bytes, params.to_dict(), extra)


def _rename_tensor(graph, old: str, new: str) -> None:
    for node in graph.node:
        node.input[:] = [new if n == old else n for n in node.input]
        node.output[:] = [new if n == old else n for n in node.output]
    for info in [*graph.value_info, *graph.output]:
        if info.name == old:
            info.name = new


def _check_width(graph, params: PlattParams) -> None:
    """Raise :class:`ModelError` unless there is one ``a`` and one ``b`` per defect output."""
    (logit,) = [o for o in graph.output if o.name == "defect_logit"]
    dims = logit.type.tensor_type.shape.dim
    width = dims[-1].dim_value if dims and dims[-1].HasField("dim_value") else None
    sizes = {len(params.a), len(params.b), width or len(params.a)}
    if len(sizes) != 1:
        raise ModelError(
            f"calibration has {len(params.a)} scales and {len(params.b)} offsets for a model "
            f"with {width} defect outputs"
        )


def _generation(graph) -> int:
    """The number of the next calibration layer: one more than the layers already present."""
    names = {n.name for n in graph.node} | {t.name for t in graph.initializer}
    generation = 1
    while f"cal{generation}_platt_a" in names:
        generation += 1
    return generation


def _restore_output_names(graph, tag: str) -> None:
    """Graph outputs keep their public names; the renamed originals stop being outputs."""
    for output in graph.output:
        for name in ("defect_logit", "defect_probability"):
            if output.name == f"{name}_before_{tag}":
                output.name = name


def _prune_dead_nodes(graph) -> None:
    """Remove nodes none of whose outputs is used, until none is left."""
    while True:
        used = {o.name for o in graph.output} | {i for n in graph.node for i in n.input}
        dead = [n for n in graph.node if not any(o in used for o in n.output)]
        if not dead:
            return
        for node in dead:
            graph.node.remove(node)


def _finish(model, parent: bytes, calibration: dict[str, Any], extra: dict | None) -> bytes:
    import onnx

    meta = {p.key: p.value for p in model.metadata_props}
    calibration = {**calibration, **(extra or {})}
    _set_metadata(
        model,
        {
            "version": next_version(meta.get("version", "unversioned")),
            "calibrated_from": hashlib.sha256(parent).hexdigest(),
            "calibration": json.dumps(calibration, sort_keys=True),
        },
    )
    try:
        onnx.checker.check_model(model)
    except onnx.checker.ValidationError as exc:
        raise ModelError(f"the calibrated graph does not pass onnx.checker: {exc}") from exc
    return model.SerializeToString()


def _set_metadata(model, values: dict[str, str]) -> None:
    import onnx

    meta = {p.key: p.value for p in model.metadata_props}
    meta.update(values)
    del model.metadata_props[:]
    onnx.helper.set_model_props(model, meta)
