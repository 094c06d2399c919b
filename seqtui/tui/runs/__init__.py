"""The runs view: every run beside model_dir, overlaid curves, settings compared, plots exported."""
