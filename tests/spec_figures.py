"""The specification's published figures (``../shared/spec``), exactly as printed there."""

SPEC_GNN = {
    "accuracy": 5.263157894736842,
    "f1_score": 0.6578947368421052,
    "precision": 0.3508771929824561,
    "recall": 5.263157894736842,
}
SPEC_LSTM = {
    "mse": 0.15688881278038025,
    "mae": 0.38217005133628845,
    "rmse": 0.39609193801879883,
    "r2_score": -13.996207237243652,
}
