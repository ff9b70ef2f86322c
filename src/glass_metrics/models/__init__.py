"""Reference models (PyTorch): an LSTM with attention for defects, a GCN for anomalies."""
