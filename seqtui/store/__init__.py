"""What is on disk: bundles, the run folder and its lock, which model answers, export."""
