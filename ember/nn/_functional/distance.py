"""nn.functional: distances between vectors (``pairwise_distance``, ``cosine_similarity``,
``pdist``) and the p-norm op they share with ``normalize``."""
import math

import numpy as np

from ... import _dtype as dt
from ... import _layout
from ...autograd import grad_mode
from ...autograd.function import Op

__all__ = ['pairwise_distance', 'cosine_similarity', 'pdist']

def is_half(np_dtype):
    """Whether a NumPy dtype is float16 or bfloat16 (computed in float32, as PyTorch does)."""
    return np_dtype.itemsize == 2 and np_dtype.kind in 'fV'


def _type_name(d):
    from ..._ops.elementwise import _type_name as name
    return name(d)


# ---------------------------------------------------------------------------------------
# the p-norm over some dims
# ---------------------------------------------------------------------------------------
def _norm_array(x, p, dims, keepdim):
    """``(sum |x|^p)^(1/p)`` over ``dims`` on a float array (inf, -inf and 0 as torch)."""
    a = np.abs(x)
    if p == 2:
        out = np.sqrt(np.sum(a * a, axis=dims, keepdims=keepdim))
    elif p == 1:
        out = np.sum(a, axis=dims, keepdims=keepdim)
    elif p == math.inf:
        out = np.max(a, axis=dims, keepdims=keepdim, initial=0.0) if a.size else \
            np.sum(a, axis=dims, keepdims=keepdim)
    elif p == -math.inf:
        out = np.min(a, axis=dims, keepdims=keepdim)
    elif p == 0:
        out = np.sum(a != 0, axis=dims, keepdims=keepdim).astype(x.dtype)
    else:
        with np.errstate(divide='ignore', over='ignore'):
            out = np.power(np.sum(np.power(a, p), axis=dims, keepdims=keepdim), 1.0 / p)
    return np.asarray(out, dtype=x.dtype)


class Norm(Op):
    """``input.norm(p, dim, keepdim)``: the vector p-norm over ``dims``."""
    node_name = 'NormBackward1'
    save_args = (0,)
    save_output = True

    @staticmethod
    def forward(ctx, x, p, dims, keepdim):
        if is_half(x.dtype):
            return _norm_array(x.astype(np.float32), p, dims, keepdim).astype(x.dtype)
        return _norm_array(x, p, dims, keepdim)

    def backward(self, grad):
        x = self.saved[0]
        p, dims, keepdim = self.args[1:]
        norm = self.output
        if not keepdim:
            grad = _unsqueeze_dims(grad, dims, x.dim())
            norm = _unsqueeze_dims(norm, dims, x.dim())
        return (norm_backward(x, norm, grad, p, dims),)


class VectorNorm(Norm):
    node_name = 'LinalgVectorNormBackward0'


def _unsqueeze_dims(t, dims, ndim):
    shape = list(t.shape)
    for d in sorted(dims):
        shape.insert(d, 1)
    return t.reshape(shape) if len(shape) == ndim else t


def norm_backward(x, norm, grad, p, dims):
    """d norm / d x times ``grad`` (``norm``, ``grad`` kept with the reduced dims as 1s);
    0 where the norm is 0, as in PyTorch."""
    if p == 0:
        return x * 0
    if p == 1:
        return x.sgn() * grad
    zero = norm == 0
    safe = norm.masked_fill(zero, 1)
    if p == 2:
        return x * (grad / safe).masked_fill(zero, 0)
    if p in (math.inf, -math.inf):
        hit = (x.abs() == norm)
        count = hit.sum(dims, keepdim=True)
        return x.sgn() * hit * (grad / count)
    a = x.abs()
    scale = (grad / safe.pow(p - 1)).masked_fill(zero, 0)
    if p < 2:
        # |x|^(p-1) sgn(x): finite at x == 0 for p >= 1
        return x.sgn() * a.pow(p - 1) * scale
    return x * a.pow(p - 2) * scale


def vector_norm(input, p=2.0, dim=None, keepdim=False, node=Norm):
    """The p-norm of ``input`` over ``dim`` (an int, a tuple, or None for all dims)."""
    if not (input._dtype.is_floating_point or input._dtype.is_complex):
        raise RuntimeError('linalg.vector_norm: Expected a floating point or complex tensor as '
                           f'input. Got {_type_name(input._dtype)}')
    ndim = input._data.ndim
    if dim is None:
        dims = tuple(range(ndim))
    elif isinstance(dim, (tuple, list)):
        dims = _layout.normalize_dims(tuple(dim), ndim) if ndim else ()
    else:
        dims = (_layout.normalize_dim(dim, ndim),) if ndim else ()
    p = float(p)
    if p < 0 and input._data.size == 0:
        raise RuntimeError(f'linalg.vector_norm cannot compute the {p:g} norm on an empty '
                           'tensor because the operation does not have an identity')
    return node.apply(input, p, dims, keepdim)


# ---------------------------------------------------------------------------------------
# public functions
# ---------------------------------------------------------------------------------------
def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """The p-norm of ``x1 - x2 + eps`` over the last dim (``nn.PairwiseDistance``)."""
    ndim = max(x1.dim(), x2.dim())
    diff = x1 - x2 + eps
    if ndim == 0:
        return vector_norm(diff, p, None, keepdim)
    return vector_norm(diff, p, ndim - 1, keepdim)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """Cosine of the angle between ``x1`` and ``x2`` along ``dim`` (inputs broadcast); each
    norm is clamped to at least ``eps`` before dividing."""
    common = dt.promote_types(x1._dtype, x2._dtype)
    if not common.is_floating_point:
        raise RuntimeError('expected common dtype to be floating point, yet common dtype is '
                           f'{_type_name(common)}')
    if x1._dtype is not common:
        x1 = x1.to(common)
    if x2._dtype is not common:
        x2 = x2.to(common)
    if x1._data.shape != x2._data.shape:
        from ..._ops.views import expand
        shape = _broadcast_shape(x1._data.shape, x2._data.shape)
        x1 = expand(x1, shape) if x1._data.shape != shape else x1
        x2 = expand(x2, shape) if x2._data.shape != shape else x2
    n1 = vector_norm(x1, 2, dim, True, VectorNorm).clone()
    n2 = vector_norm(x2, 2, dim, True, VectorNorm).clone()
    with grad_mode.no_grad():
        n1.clamp_(min=eps)
        n2.clamp_(min=eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def _broadcast_shape(a, b):
    """NumPy's broadcast shape, with PyTorch's error message."""
    ndim = max(len(a), len(b))
    a = (1,) * (ndim - len(a)) + tuple(a)
    b = (1,) * (ndim - len(b)) + tuple(b)
    out = []
    for i, (m, n) in enumerate(zip(a, b)):
        if m != n and m != 1 and n != 1:
            raise RuntimeError(f'The size of tensor a ({m}) must match the size of tensor b '
                               f'({n}) at non-singleton dimension {i}')
        out.append(n if m == 1 else m)
    return tuple(out)


class Pdist(Op):
    """Distances between all pairs of rows ``i < j`` of a 2-D input, in row-major order."""
    node_name = 'PdistBackward0'
    save_args = (0,)
    save_output = True

    @staticmethod
    def forward(ctx, x, p, rows, cols):
        compute = x.astype(np.float32) if is_half(x.dtype) else x
        diff = compute[rows] - compute[cols]
        return _norm_array(diff, p, (1,), False).astype(x.dtype, copy=False)

    def backward(self, grad):
        from ..._ops.creation import tensor
        x = self.saved[0]
        p, rows, cols = self.args[1:]
        if rows.size == 0:
            return (x * 0,)
        r = tensor(rows, device=x.device)
        c = tensor(cols, device=x.device)
        diff = x.index_select(0, r) - x.index_select(0, c)
        g = norm_backward(diff, self.output.unsqueeze(1), grad.unsqueeze(1), p, (1,))
        zeros = x * 0
        return (zeros.index_add(0, r, g).index_add(0, c, -g),)


def pdist(input, p=2):
    """``p``-norm distances between each pair of rows of an (N, M) input: N(N-1)/2 values."""
    if input.dim() != 2:
        raise RuntimeError(f'pdist only supports 2D tensors, got: {input.dim()}D')
    if not input._dtype.is_floating_point:
        raise RuntimeError('pdist only supports floating-point dtypes')
    if p < 0:
        raise RuntimeError('pdist only supports non-negative p values')
    n = input._data.shape[0]
    rows, cols = np.triu_indices(n, 1)
    return Pdist.apply(input, float(p), rows.astype(np.int64), cols.astype(np.int64))
