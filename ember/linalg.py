"""``ember.linalg``: norms, inverses, decompositions and solvers (PyTorch's torch.linalg)."""

__all__ = []
