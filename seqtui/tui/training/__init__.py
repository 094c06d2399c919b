"""The training view: the dashboard, its widgets, and the jobs its workers run."""
