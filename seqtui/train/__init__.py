"""Training: the loop, one callback per job, craft, the learning-rate schedule, feeding, TensorBoard."""
