"""Measuring a policy's guards on labelled datasets: dataset adapters, metrics,
evaluation runs, reports and threshold calibration (``sluicegate eval``)."""
