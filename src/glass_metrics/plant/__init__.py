"""The simulated float-glass line: sensors and their graph, defects, anomalies, drift, data."""
