"""ember vs PyTorch benchmarks: ``python -m benchmarks``."""
