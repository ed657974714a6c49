"""In-place array arithmetic for the optimizers, in the operand order of PyTorch's kernels.

The optimizers update parameters and their state directly on the tensors' arrays (NumPy,
or CuPy through the ufunc protocol): one vectorised expression per tensor and no graph.
Each helper is named after the PyTorch tensor method whose arithmetic it reproduces, so an
update reads like PyTorch's single-tensor ("for-loop") formula. Scalars must be Python
numbers: NumPy then computes in the array's own precision, as PyTorch does for float32.
"""
import numpy as np

__all__ = ['arr', 'real_view', 'add_', 'addcmul_', 'addcdiv_', 'lerp_', 'scaled']


def arr(t):
    """The array of tensor ``t``, as a view of at least one dimension.

    NumPy turns 0-d results into scalars, which in-place arithmetic cannot update; viewing
    0-d tensors as shape (1,) keeps every temporary an array.
    """
    data = t._data
    return data if data.ndim else data.reshape(1)


def real_view(a):
    """A complex array as pairs of reals (``view_as_real``); real arrays pass through."""
    if a.dtype.kind == 'c':
        return a[..., None].view(a.real.dtype)
    return a


def scaled(a, alpha):
    """A new array ``a * alpha``."""
    return np.multiply(a, alpha)


def add_(a, b, alpha=1):
    """``a.add_(b, alpha=alpha)``: ``a + alpha * b``."""
    if alpha == 1:
        a += b
    else:
        a += np.multiply(b, alpha)
    return a


# ``scratch``: an array shaped and typed like the result that the helper may use for its
# temporary (an optimizer step then allocates one buffer per parameter, not one per formula).

def addcmul_(a, b, c, value=1, scratch=None):
    """``a.addcmul_(b, c, value=value)``: ``a + value * b * c``."""
    if value == 1:
        t = np.multiply(b, c, out=scratch)
    else:
        t = np.multiply(b, value, out=scratch)
        t *= c
    a += t
    return a


def addcdiv_(a, b, c, value=1, scratch=None):
    """``a.addcdiv_(b, c, value=value)``: ``a + value * b / c``."""
    if value == 1:
        t = np.divide(b, c, out=scratch)
    else:
        t = np.multiply(b, value, out=scratch)
        t /= c
    a += t
    return a


def lerp_(a, end, weight, scratch=None):
    """``a.lerp_(end, weight)`` with a scalar weight, using PyTorch's two-sided formula."""
    t = np.subtract(end, a, out=scratch)
    if abs(weight) < 0.5:
        t *= weight
        a += t
    else:
        # end - (end - a) * (1 - weight), with 1 - weight taken in the array's precision
        t *= 1 - a.dtype.type(weight)
        np.subtract(end, t, out=a)
    return a
