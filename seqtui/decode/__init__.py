"""Translating without Keras: the numpy engine and its searches, hypotheses, attention heatmaps."""
