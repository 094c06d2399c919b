"""What reports on runs: the runs table, curves, plots, evaluation."""
