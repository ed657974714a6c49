"""``ember.linalg``: norms, inverses, decompositions and solvers (PyTorch's torch.linalg).

Each factorisation runs NumPy's LAPACK-backed routine (batched over leading dims) and records
one node named as PyTorch names it (``LinalgSvdBackward0``...). Backward formulas are written
in ember tensor ops, so they can be differentiated again; they are the standard ones for real
inputs (SVD and eigh assume distinct singular values / eigenvalues). Results are laid out as
LAPACK returns them in PyTorch: matrices come back column-major (``stride() == (1, n)``).

Failures on singular or indefinite input raise ``ember.linalg.LinAlgError``, a RuntimeError
like PyTorch's ``torch.linalg.LinAlgError``.
"""

__all__ = ['LinAlgError', 'norm', 'vector_norm', 'matrix_norm', 'inv', 'inv_ex', 'det',
           'slogdet', 'solve', 'solve_ex', 'qr', 'cholesky', 'cholesky_ex', 'svd', 'svdvals',
           'eigh', 'eigvalsh', 'pinv', 'lstsq', 'matrix_rank', 'matrix_power', 'cross',
           'multi_dot', 'matmul']

import math
import sys

import numpy as np

from . import _dtype as dt
from . import _layout
from ._tensor import Tensor, make_tensor
from .autograd import grad_mode
from .autograd.function import Op, attach
from .return_types import make_return_type
from ._ops.linalg import (matmul, _type_name, _need_tensor, _out, _HALF, _cross,
                          _same_device, _contiguous)

_grad_state = grad_mode.state

_slogdet_t = make_return_type('linalg_slogdet', ('sign', 'logabsdet'))
_slogdet_legacy_t = make_return_type('slogdet', ('sign', 'logabsdet'))
_qr_t = make_return_type('linalg_qr', ('Q', 'R'))
_qr_legacy_t = make_return_type('qr', ('Q', 'R'))
_svd_t = make_return_type('linalg_svd', ('U', 'S', 'Vh'))
_svd_legacy_t = make_return_type('svd', ('U', 'S', 'V'))
_eigh_t = make_return_type('linalg_eigh', ('eigenvalues', 'eigenvectors'))
_lstsq_t = make_return_type('linalg_lstsq', ('solution', 'residuals', 'rank',
                                             'singular_values'))
_inv_ex_t = make_return_type('linalg_inv_ex', ('inverse', 'info'))
_cholesky_ex_t = make_return_type('linalg_cholesky_ex', ('L', 'info'))
_solve_ex_t = make_return_type('linalg_solve_ex', ('result', 'info'))


class LinAlgError(RuntimeError):
    """Raised when a matrix is singular or not positive-definite (PyTorch's
    ``torch.linalg.LinAlgError``)."""


# ---------------------------------------------------------------------------------------
# checks and layout helpers
# ---------------------------------------------------------------------------------------
def _floating(A, fname):
    if not (A._dtype.is_floating_point or A._dtype.is_complex):
        raise RuntimeError(f'{fname}: Expected a floating point or complex tensor as input. '
                           f'Got {_type_name(A._dtype)}')


def _not_half(A, fname):
    if A._dtype in _HALF:
        raise RuntimeError(f'{fname}: Low precision dtypes not supported. Got '
                           f'{_type_name(A._dtype)}')


def _matrix(A, fname, name='A'):
    if A._data.ndim < 2:
        raise RuntimeError(f'{fname}: The input tensor {name} must have at least 2 dimensions.')


def _square(A, fname):
    _matrix(A, fname)
    m, n = A._data.shape[-2:]
    if m != n:
        raise RuntimeError(f'{fname}: A must be batches of square matrices, but they are {m} by '
                           f'{n} matrices')


def _lapack_input(A, fname, square=True):
    _need_tensor(fname.split('.')[-1], 'A', A)
    _matrix(A, fname)
    _floating(A, fname)
    _not_half(A, fname)
    if square:
        _square(A, fname)


def _fortran(a):
    """The same values with each matrix stored column-major, as LAPACK leaves them."""
    if a.ndim < 2:
        return _contiguous(a)
    return _contiguous(np.swapaxes(a, -1, -2)).swapaxes(-1, -2)


def _wrap(data, like):
    if type(data) is not np.ndarray:
        data = np.asarray(data)
    if data.dtype != like._data.dtype and not like._dtype.is_complex:
        data = data.astype(like._data.dtype)
    return make_tensor(data, dt.from_numpy_dtype(data.dtype), like._device)


def _batch_prefix(index, batched):
    if not batched:
        return ''
    return f'(Batch element {index}): '


def _record(cls, outputs, inputs, saved, differentiable=None, **attrs):
    """Record ``cls`` as the node of ``outputs`` (a tensor or tuple); ``saved`` are tensors
    (inputs or outputs) backward reads back through ``self.saved``."""
    if not (_grad_state.enabled and any(t is not None and t._requires_grad for t in inputs)):
        return outputs
    node = cls.__new__(cls)
    node._connect(inputs)
    node.args = ()
    for key, value in attrs.items():
        setattr(node, key, value)
    multi = type(outputs) is tuple
    if multi:
        node._n_outputs = len(outputs)
        for i, t in enumerate(outputs):
            if differentiable is not None and i not in differentiable:
                continue
            t._requires_grad = True
            t._grad_fn = node
            if i:
                t._output_nr = i
    else:
        attach(node, outputs)
    node.save(*saved)
    return outputs


def _needs(node, i):
    return node.next_functions[i][0] is not None


def _eye(n, like):
    return make_tensor(np.eye(n, dtype=like._data.dtype), like._dtype, like._device)


def _diag_embed(v):
    """Batched diagonal matrices from the last dim of ``v`` (differentiable)."""
    return v.unsqueeze(-1) * _eye(v._data.shape[-1], v)


def _tril_mask(n, like, diagonal_value=1.0):
    """A constant lower-triangular mask with ``diagonal_value`` on the diagonal."""
    mask = np.tril(np.ones((n, n), dtype=like._data.dtype), -1)
    mask[np.arange(n), np.arange(n)] = diagonal_value
    return make_tensor(mask, like._dtype, like._device)


def _sym(X):
    return (X + X.mH) * 0.5


# ---------------------------------------------------------------------------------------
# norms
# ---------------------------------------------------------------------------------------
class LinalgVectorNorm(Op):
    node_name = 'LinalgVectorNormBackward0'
    save_args = (0,)
    save_output = True

    def backward(self, grad):
        x = self.saved[0]
        ord, dims, keepdim = self.args[1], self.args[2], self.args[3]
        norm = self.output
        shape = x._data.shape
        if not keepdim and shape:
            lost = range(len(shape)) if dims is None else sorted(dims)
            for d in lost:
                grad = grad.unsqueeze(d)
                norm = norm.unsqueeze(d)
        from ._ops.indexing import where
        if ord == 0:
            return (x * 0,)
        if ord == 1:
            return (grad * x.sgn(),)
        if math.isinf(ord):
            mask = x.abs() == norm
            count = mask.sum(dims, keepdim=True) if dims is not None else mask.sum()
            return (grad * x.sgn() * mask / count,)
        zero = norm == 0
        safe = where(zero, 1.0, norm)
        if ord == 2:
            return (where(zero, 0.0, grad / safe) * x,)
        scale = where(zero, 0.0, grad / safe.pow(ord - 1))
        return (scale * x.sgn() * x.abs().pow(ord - 1),)


def _reduce_all(x, fn, dims, keepdim):
    return np.asarray(fn(x, axis=dims, keepdims=keepdim))


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    """Vector p-norm over ``dim`` (all elements when None): ``sum(|x|^ord)^(1/ord)``, with
    ``inf``/``-inf`` giving max/min of ``|x|`` and ``0`` the count of non-zeros."""
    _need_tensor('linalg_vector_norm', 'input', x)
    if isinstance(ord, bool) or not isinstance(ord, (int, float)):
        if isinstance(ord, Tensor) and ord.numel() == 1:
            ord = ord.item()
        else:
            raise TypeError(f"linalg_vector_norm(): argument 'ord' (position 2) must be Number, "
                            f'not {type(ord).__name__}')
    _floating(x, 'linalg.vector_norm')
    if dtype is not None:
        if not (dtype.is_floating_point or dtype.is_complex):
            raise RuntimeError(f'linalg.vector_norm: dtype should be floating point or complex, '
                               f'but got {_type_name(dtype)}')
        if dtype is not x._dtype:
            x = x.to(dtype)
    ndim = x._data.ndim
    if dim is None:
        dims = None
    else:
        dims = (dim,) if not isinstance(dim, (tuple, list)) else tuple(dim)
        dims = _layout.normalize_dims(dims, max(ndim, 1)) if dims else None
        if ndim == 0:
            dims = None
    data = x._data
    shape = data.shape
    if data.size == 0 and (ord < 0 or math.isinf(ord)):
        reduced = range(ndim) if dims is None else dims
        if dims is None or any(shape[d] == 0 for d in reduced):
            shown = int(ord) if float(ord).is_integer() else ord
            raise RuntimeError(f'linalg.vector_norm cannot compute the {shown} norm on an empty '
                               'tensor because the operation does not have an identity')
    a = np.abs(data)
    if x._dtype in _HALF:
        a = a.astype(np.float32)
    if ord == 2:
        r = np.sqrt(_reduce_all(a * a, np.sum, dims, keepdim))
    elif ord == 1:
        r = _reduce_all(a, np.sum, dims, keepdim)
    elif ord == 0:
        r = _reduce_all(a != 0, np.sum, dims, keepdim).astype(a.dtype)
    elif ord == math.inf:
        r = _reduce_all(a, np.max, dims, keepdim)
    elif ord == -math.inf:
        r = _reduce_all(a, np.min, dims, keepdim)
    else:
        with np.errstate(divide='ignore'):
            r = _reduce_all(a ** ord, np.sum, dims, keepdim) ** (1.0 / ord)
    real = dt.from_numpy_dtype(np.abs(np.zeros((), x._data.dtype)).dtype) \
        if x._dtype.is_complex else x._dtype
    result = make_tensor(np.asarray(r, dtype=real.numpy_dtype), real, x._device)
    if x._requires_grad and _grad_state.enabled:
        node = LinalgVectorNorm.__new__(LinalgVectorNorm)
        node._connect((x,))
        node.args = (None, float(ord), dims, keepdim)
        node.save(x)
        attach(node, result, True)
    return result if out is None else _out(result, out, 'linalg_vector_norm')


def _matrix_dims(A, dim, fname):
    if not isinstance(dim, (tuple, list)) or len(dim) != 2:
        raise RuntimeError(f'{fname}: dim must be a 2-tuple. Got {dim}')
    d0 = _layout.normalize_dim(dim[0], A._data.ndim)
    d1 = _layout.normalize_dim(dim[1], A._data.ndim)
    if d0 == d1:
        raise RuntimeError(f'{fname}: dims must be different. Got ({dim[0]}, {dim[1]})')
    return d0, d1


def matrix_norm(A, ord='fro', dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    """Matrix norm over the two dims ``dim``: ``'fro'``, ``'nuc'`` (sum of singular values),
    ``2``/``-2`` (largest/smallest singular value), ``1``/``-1`` (max/min column abs-sum),
    ``inf``/``-inf`` (max/min row abs-sum)."""
    fname = 'linalg.matrix_norm'
    _need_tensor('linalg_matrix_norm', 'input', A)
    _matrix(A, fname)
    _floating(A, fname)
    d0, d1 = _matrix_dims(A, dim, fname)
    if dtype is not None and dtype is not A._dtype:
        A = A.to(dtype)
    if isinstance(ord, str):
        if ord == 'fro':
            result = vector_norm(A, 2, (d0, d1), keepdim)
        elif ord == 'nuc':
            result = _singular_norm(A, 'nuc', d0, d1, keepdim)
        else:
            raise RuntimeError(f'{fname}: Order {ord} not supported.')
    elif ord in (2, -2):
        result = _singular_norm(A, ord, d0, d1, keepdim)
    elif ord in (1, -1, math.inf, -math.inf):
        sum_dim, max_dim = (d0, d1) if abs(ord) == 1 else (d1, d0)
        r = A.abs().sum(sum_dim, keepdim=keepdim)
        if not keepdim and sum_dim < max_dim:
            max_dim -= 1
        result = r.amax(max_dim, keepdim) if ord > 0 else r.amin(max_dim, keepdim)
    else:
        raise RuntimeError(f'{fname}: Order {ord} not supported.')
    return result if out is None else _out(result, out, 'linalg_matrix_norm')


def _singular_norm(A, ord, d0, d1, keepdim):
    _not_half(A, 'linalg.matrix_norm')
    moved = A.movedim((d0, d1), (-2, -1))
    sv = svdvals(moved)
    if ord == 'nuc':
        r = sv.sum(-1)
    elif ord == 2:
        r = sv.amax(-1)
    else:
        r = sv.amin(-1)
    if keepdim:
        r = r.unsqueeze(-1).unsqueeze(-1).movedim((-2, -1), (d0, d1))
    return r


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None, out=None):
    """Vector or matrix norm: a matrix norm when ``ord`` is a string or ``dim`` names two dims
    (or ``A`` is 2-D and ``ord`` is given without ``dim``), else a vector norm."""
    _need_tensor('linalg_norm', 'input', A)
    if dim is not None:
        dim = (dim,) if not isinstance(dim, (tuple, list)) else tuple(dim)
        if len(dim) not in (1, 2):
            raise RuntimeError(f'linalg.norm: If dim is specified, it must be of length 1 or 2. '
                               f'Got {list(dim)}')
    elif ord is not None and A._data.ndim not in (1, 2):
        raise RuntimeError(f'linalg.norm: If dim is not specified but ord is, the input must be '
                           f'1D or 2D. Got {A._data.ndim}D.')
    if ord is None:
        result = vector_norm(A, 2, dim, keepdim, dtype=dtype)
    elif isinstance(ord, str) or (len(dim) if dim is not None else A._data.ndim) == 2:
        result = matrix_norm(A, ord, dim if dim is not None else (-2, -1), keepdim,
                             dtype=dtype)
    else:
        result = vector_norm(A, ord, dim, keepdim, dtype=dtype)
    return result if out is None else _out(result, out, 'linalg_norm')


# ---------------------------------------------------------------------------------------
# inverse, determinant, solve
# ---------------------------------------------------------------------------------------
def _zero_pivot(a):
    """1-based index of the first zero pivot of partial-pivoting LU (LAPACK's ``info``)."""
    u = np.array(a, dtype=np.complex128 if np.iscomplexobj(a) else np.float64)
    n = u.shape[0]
    first = 0
    for k in range(n):
        p = k + int(np.argmax(np.abs(u[k:, k])))
        if u[p, k] == 0:
            if not first:
                first = k + 1
            continue
        if p != k:
            u[[k, p]] = u[[p, k]]
        u[k + 1:, k:] -= np.outer(u[k + 1:, k] / u[k, k], u[k, k:])
    return first


# NumPy's LAPACK wrappers report a failure through the floating-point 'invalid' flag, which
# WebAssembly does not have: under Pyodide a singular or indefinite matrix comes back filled
# with NaN instead of raising. There, ember reads the failure off the result itself.
_FP_FLAGS = sys.platform != 'emscripten'


def _lapack(routine, *arrays):
    """``routine(*arrays)`` (NumPy's inv, solve or cholesky), raising NumPy's LinAlgError on
    failure on every platform: NaN in the result of NaN-free input."""
    result = routine(*arrays)
    if not _FP_FLAGS and np.isnan(result).any() and \
            not any(np.isnan(a).any() for a in arrays):
        raise np.linalg.LinAlgError('the LAPACK routine failed')
    return result


def _singular_info(data):
    """Per-matrix LAPACK ``info`` (0, or the first zero pivot) over a batch."""
    flat = data.reshape((-1,) + data.shape[-2:])
    return np.array([_zero_pivot(m) for m in flat], dtype=np.int32).reshape(data.shape[:-2])


class LinalgInvEx(Op):
    node_name = 'LinalgInvExBackward0'

    def backward(self, grad, *_):
        X = self.saved[0]
        Xh = X.mH
        return (-matmul(Xh, matmul(grad, Xh)),)


def _inv(A, check, fname='linalg.inv'):
    _lapack_input(A, fname)
    data = A._data
    try:
        # inv(A^T)^T is inv(A), and comes out column-major as PyTorch's does.
        inverse = _lapack(np.linalg.inv, np.swapaxes(data, -1, -2)).swapaxes(-1, -2)
        info = np.zeros(data.shape[:-2], dtype=np.int32)
    except np.linalg.LinAlgError:
        info = _singular_info(data)
        if check:
            index = int(np.argmax(info.reshape(-1) > 0))
            raise LinAlgError(f'{fname}: {_batch_prefix(index, data.ndim > 2)}The diagonal '
                              f'element {int(info.reshape(-1)[index])} is zero, the inversion '
                              'could not be completed because the input matrix is singular.') \
                from None
        inverse = np.full(data.shape, np.nan, dtype=data.dtype)
        ok = info == 0
        if ok.any():
            inverse[ok] = np.linalg.inv(data[ok])
        inverse = _fortran(inverse)
    X = _wrap(inverse, A)
    info_t = make_tensor(info, dt.int32, A._device)
    outputs = (X, info_t)
    _record(LinalgInvEx, outputs, (A,), (X,), differentiable=(0,))
    return outputs


def inv(A, *, out=None):
    """Inverse of a square matrix (or batch); LinAlgError when one is singular."""
    X = _inv(A, True)[0]
    return X if out is None else _out(X, out, 'linalg_inv')


def inv_ex(A, *, check_errors=False, out=None):
    """``(inverse, info)`` without raising on singular input (``info`` > 0 there)."""
    return _inv_ex_t(_inv(A, check_errors))


class LinalgDet(Op):
    node_name = 'LinalgDetBackward0'
    save_args = (0,)
    save_output = True

    def backward(self, grad):
        A = self.saved[0]
        d = self.output
        g = (grad * d.conj()).unsqueeze(-1).unsqueeze(-1)
        singular = d._data == 0
        if not singular.any():
            return (g * inv(A).mH,)
        # PyTorch's gradient is zero at exactly singular matrices; solve the others only.
        safe = A.detach().clone()
        safe._data[singular] = np.eye(A._data.shape[-1], dtype=A._data.dtype)
        return (g * inv(safe).mH,)


def det(A, *, out=None):
    """Determinant of a square matrix (or batch)."""
    _need_tensor('linalg_det', 'A', A)
    _matrix(A, 'linalg.det')
    _floating(A, 'linalg.det')
    if A._dtype in _HALF:
        raise NotImplementedError(f'"lu_cpu" not implemented for \'{_type_name(A._dtype)}\'')
    _square(A, 'linalg.det')
    result = _wrap(np.linalg.det(A._data), A)
    if A._requires_grad and _grad_state.enabled:
        node = LinalgDet.__new__(LinalgDet)
        node._connect((A,))
        node.args = (None,)
        node.save(A)
        attach(node, result, True)
    return result if out is None else _out(result, out, 'linalg_det')


class LinalgSlogdet(Op):
    node_name = 'LinalgSlogdetBackward0'

    def backward(self, g_sign, g_logabsdet=None):
        if g_logabsdet is None:
            return (None,)
        A = self.saved[0]
        return (g_logabsdet.unsqueeze(-1).unsqueeze(-1) * inv(A).mH,)


def _slogdet(A):
    _need_tensor('linalg_slogdet', 'A', A)
    _matrix(A, 'linalg.slogdet')
    _floating(A, 'linalg.slogdet')
    if A._dtype in _HALF:
        raise NotImplementedError(f'"lu_cpu" not implemented for \'{_type_name(A._dtype)}\'')
    _square(A, 'linalg.slogdet')
    sign, logabsdet = np.linalg.slogdet(A._data)
    sign_t = _wrap(sign, A)
    log_t = _wrap(logabsdet, A) if not A._dtype.is_complex else make_tensor(
        np.asarray(logabsdet), dt.from_numpy_dtype(np.asarray(logabsdet).dtype), A._device)
    outputs = (sign_t, log_t)
    _record(LinalgSlogdet, outputs, (A,), (A,))
    return outputs


def slogdet(A, *, out=None):
    """``(sign, logabsdet)`` of the determinant, stable where ``det`` under/overflows."""
    return _slogdet_t(_slogdet(A))


def _slogdet_legacy(A):
    return _slogdet_legacy_t(_slogdet(A))


def _logdet(A):
    from ._ops.indexing import where
    sign, logabsdet = _slogdet(A)
    if A._dtype.is_complex:
        return sign.log() + logabsdet
    return where(sign == -1, math.nan, logabsdet)


class LinalgSolveEx(Op):
    node_name = 'LinalgSolveExBackward0'

    def backward(self, grad, *_):
        A, X = self.saved
        left, vector = self.left, self.vector
        if vector:
            grad = grad.unsqueeze(-1)
            X = X.unsqueeze(-1)
        gB = solve(A.mH, grad, left=left)
        gA = None
        if _needs(self, 0):
            gA = -matmul(gB, X.mH) if left else -matmul(X.mH, gB)
        if vector:
            gB = gB.squeeze(-1)
        return gA, (gB if _needs(self, 1) else None)


def _solve(A, B, left, check):
    fname = 'linalg.solve'
    _need_tensor('linalg_solve', 'A', A)
    _need_tensor('linalg_solve', 'B', B)
    _matrix(A, fname)
    _floating(A, fname)
    _floating(B, fname)
    if A._dtype is not B._dtype:
        raise RuntimeError(f'{fname}: Expected A and B to have the same dtype, but found A of '
                           f'type {_type_name(A._dtype)} and B of type {_type_name(B._dtype)} '
                           'instead')
    _not_half(A, fname)
    _square(A, fname)
    _same_device(A, B)
    a, b = A._data, B._data
    n = a.shape[-1]
    vector = b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1])
    bm = b[..., None] if vector else b
    if bm.ndim < 2:
        bm = bm.reshape(bm.shape + (1,))
    if left:
        ok = bm.shape[-2] == n
    else:
        ok = bm.shape[-1] == n
    if not ok:
        eq = 'AX = B' if left else 'XA = B'
        raise RuntimeError(f'{fname}: Incompatible shapes of A and B for the equation {eq} '
                           f'({a.shape[-2]}x{a.shape[-1]} and {bm.shape[-2]}x{bm.shape[-1]})')
    if not left and vector:
        raise RuntimeError(f'{fname}: Incompatible shapes of A and B for the equation XA = B '
                           f'({a.shape[-2]}x{a.shape[-1]} and {bm.shape[-2]}x{bm.shape[-1]})')
    batch = _layout.broadcast_shapes(a.shape[:-2], bm.shape[:-2])
    try:
        if left:
            x = _lapack(np.linalg.solve, np.broadcast_to(a, batch + a.shape[-2:]),
                        np.broadcast_to(bm, batch + bm.shape[-2:]))
            x = _fortran(x)
        else:
            # X A = B  <=>  A^T X^T = B^T; the transpose of a column-major result is row-major.
            at = np.swapaxes(a, -1, -2)
            bt = np.swapaxes(bm, -1, -2)
            xt = _lapack(np.linalg.solve, np.broadcast_to(at, batch + at.shape[-2:]),
                         np.broadcast_to(bt, batch + bt.shape[-2:]))
            x = _contiguous(xt).swapaxes(-1, -2)
            x = _contiguous(x)
        info = np.zeros(batch, dtype=np.int32)
    except np.linalg.LinAlgError:
        full = np.broadcast_to(a, batch + a.shape[-2:])
        info = _singular_info(full)
        if check:
            index = int(np.argmax(info.reshape(-1) > 0))
            raise LinAlgError(f'torch.linalg.solve: {_batch_prefix(index, len(batch) > 0)}The '
                              'solver failed because the input matrix is singular.') from None
        x = np.full(batch + (bm.shape[-2], bm.shape[-1]) if left else batch + bm.shape[-2:],
                    np.nan, dtype=a.dtype)
    if vector:
        x = x[..., 0]
        if x.ndim >= 2:
            x = _fortran(x)
    X = _wrap(x, A)
    outputs = (X, make_tensor(info, dt.int32, A._device))
    if _grad_state.enabled and (A._requires_grad or B._requires_grad):
        _record(LinalgSolveEx, outputs, (A, B), (A, X), differentiable=(0,), left=left,
                vector=vector)
    return outputs


def solve(A, B, *, left=True, out=None):
    """The solution ``X`` of ``A @ X = B`` (or ``X @ A = B`` with ``left=False``); ``B`` may be
    a vector (or batch of vectors); batch dims broadcast."""
    X = _solve(A, B, left, True)[0]
    return X if out is None else _out(X, out, 'linalg_solve')


def solve_ex(A, B, *, left=True, check_errors=False, out=None):
    """``(result, info)`` of ``solve`` without raising on singular input."""
    return _solve_ex_t(_solve(A, B, left, check_errors))


# ---------------------------------------------------------------------------------------
# factorisations: cholesky, qr, svd, eigh
# ---------------------------------------------------------------------------------------
class LinalgCholeskyEx(Op):
    node_name = 'LinalgCholeskyExBackward0'

    def backward(self, grad, *_):
        L = self.saved[0]
        if self.upper:
            L = L.mH
            grad = grad.mH
        n = L._data.shape[-1]
        grad = grad * _tril_mask(n, L)      # entries above the diagonal are constant zeros
        phi = matmul(L.mH, grad) * _tril_mask(n, L, 0.5)
        # gA = L^-H phi L^-1, symmetrised (only symmetric perturbations are meaningful).
        Y = solve(L.mH, phi)
        gA = solve(L.mH, Y.mH).mH
        return (_sym(gA),)


class CholeskyBackward(LinalgCholeskyEx):
    node_name = 'CholeskyBackward0'


def _partial_cholesky(a):
    """Unblocked lower Cholesky of one matrix as LAPACK leaves it: stops at the first
    non-positive pivot, which it stores, and returns (factor, 1-based order or 0)."""
    L = np.tril(a).astype(a.dtype, copy=True)
    for j in range(a.shape[-1]):
        ajj = L[j, j] - np.dot(L[j, :j], L[j, :j].conj())
        if not ajj.real > 0:
            L[j, j] = ajj
            return L, j + 1
        ajj = np.sqrt(ajj)
        L[j, j] = ajj
        L[j + 1:, j] = (L[j + 1:, j] - L[j + 1:, :j] @ L[j, :j].conj()) / ajj
    return L, 0


def _cholesky(A, upper, check, cls=LinalgCholeskyEx, fname='linalg.cholesky'):
    _lapack_input(A, fname)
    data = A._data
    try:
        L = _lapack(np.linalg.cholesky, data)
        info = np.zeros(data.shape[:-2], dtype=np.int32)
    except np.linalg.LinAlgError:
        flat = data.reshape((-1,) + data.shape[-2:])
        parts = [_partial_cholesky(m) for m in flat]
        orders = np.array([order for _, order in parts], dtype=np.int32)
        info = orders.reshape(data.shape[:-2])
        if check:
            index = int(np.argmax(orders > 0))
            raise LinAlgError(f'{fname}: {_batch_prefix(index, data.ndim > 2)}The factorization '
                              'could not be completed because the input is not positive-definite'
                              f' (the leading minor of order {orders[index]} is not '
                              'positive-definite).') from None
        L = np.stack([factor for factor, _ in parts]).reshape(data.shape)
    if upper:
        # U = L^H: the transpose of a row-major L is U stored column-major.
        factor = _contiguous(L.conj() if np.iscomplexobj(L) else L).swapaxes(-1, -2)
    else:
        factor = _fortran(L)
    F = _wrap(factor, A)
    outputs = (F, make_tensor(info, dt.int32, A._device))
    _record(cls, outputs, (A,), (F,), differentiable=(0,), upper=upper)
    return outputs


def cholesky(A, *, upper=False, out=None):
    """Cholesky factor ``L`` (lower, ``A = L L^H``) of symmetric positive-definite matrices, or
    ``U = L^H`` with ``upper=True``. Only the lower triangle of ``A`` is read."""
    L = _cholesky(A, upper, True)[0]
    return L if out is None else _out(L, out, 'linalg_cholesky')


def cholesky_ex(A, *, upper=False, check_errors=False, out=None):
    """``(L, info)`` of ``cholesky`` without raising when ``A`` is not positive-definite."""
    return _cholesky_ex_t(_cholesky(A, upper, check_errors))


def _cholesky_legacy(A, upper, out):
    L = _cholesky(A, upper, True, CholeskyBackward, 'linalg.cholesky')[0]
    return L if out is None else _out(L, out, 'cholesky')


class LinalgQr(Op):
    node_name = 'LinalgQrBackward0'

    def backward(self, gQ=None, gR=None):
        Q, R = self.saved
        mode = self.mode
        m, n = self.shape
        if mode == 'r':
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed "
                               "when mode='r'. Please use linalg.qr(A, mode='reduced') if you "
                               'are going to differentiate through linalg.qr.')
        if mode == 'complete' and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' "
                               'and nrows > ncols.')
        if gQ is None:
            gQ = Q * 0
        if gR is None:
            gR = R * 0
        if m >= n:
            return (_qr_square_grad(gQ, gR, Q, R),)
        # Wide: A = Q [X | Y] with X square; Y = Q R2 sends gradient to Q as well.
        X, Y = R[..., :, :m], R[..., :, m:]
        gX, gY = gR[..., :, :m], gR[..., :, m:]
        A_right = matmul(Q, Y)
        g_left = _qr_square_grad(gQ + matmul(A_right, gY.mH), gX, Q, X)
        g_right = matmul(Q, gY)
        from ._ops.joining import cat
        return (cat([g_left, g_right], -1),)


def _qr_square_grad(gQ, gR, Q, R):
    """Gradient for A = QR with R square upper-triangular (tall or square A)."""
    M = matmul(R, gR.mH) - matmul(gQ.mH, Q)
    n = R._data.shape[-1]
    low = M * _tril_mask(n, M, 0.0)
    copyltu = low + low.mH + M * _eye(n, M)
    B = gQ + matmul(Q, copyltu)
    # B R^-H: solve R Z^H = B^H.
    return solve(R, B.mH).mH


def _qr(A, mode, result_type):
    fname = 'linalg.qr'
    _need_tensor('linalg_qr', 'A', A)
    if mode not in ('reduced', 'complete', 'r'):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    _matrix(A, fname)
    _floating(A, fname)
    _not_half(A, fname)
    data = A._data
    m, n = data.shape[-2:]
    if mode == 'r':
        r = np.linalg.qr(data, mode='r')
        q = np.zeros((0,), dtype=data.dtype)
    else:
        q, r = np.linalg.qr(data, mode=mode)
    Q = _wrap(_fortran(q), A)
    R = _wrap(_fortran(r), A)
    outputs = (Q, R)
    _record(LinalgQr, outputs, (A,), (Q, R), mode=mode, shape=(m, n))
    return result_type(outputs)


def qr(A, mode='reduced', *, out=None):
    """QR factorisation ``A = Q R``: ``Q`` with orthonormal columns, ``R`` upper-triangular.
    ``mode`` is 'reduced', 'complete' or 'r' (R only; Q is empty)."""
    return _qr(A, mode, _qr_t)


def _qr_legacy(A, some):
    return _qr(A, 'reduced' if some else 'complete', _qr_legacy_t)


class LinalgSvd(Op):
    node_name = 'LinalgSvdBackward0'

    def backward(self, gU=None, gS=None, gVh=None):
        U, S, Vh = self.saved
        k = S._data.shape[-1]
        if self.full:
            U, Vh = U[..., :, :k], Vh[..., :k, :]
            gU = None if gU is None else gU[..., :, :k]
            gVh = None if gVh is None else gVh[..., :k, :]
        return (_svd_grad(gU, gS, gVh, U, S, Vh),)


def _svd_grad(gU, gS, gVh, U, S, Vh):
    """Gradient of the reduced SVD A = U diag(S) Vh for distinct non-zero singular values."""
    m = U._data.shape[-2]
    n = Vh._data.shape[-1]
    if gU is None and gVh is None:
        if gS is None:
            return None
        if m >= n:
            return matmul(U, gS.unsqueeze(-1) * Vh)
        return matmul(U * gS.unsqueeze(-2), Vh)
    k = S._data.shape[-1]
    S2 = S * S
    # E[i, j] = s_j^2 - s_i^2, with ones on the diagonal (where the numerators vanish).
    E = S2.unsqueeze(-2) - S2.unsqueeze(-1) + _eye(k, S)
    core = None
    if gU is not None:
        UtgU = matmul(U.mH, gU)
        core = (UtgU - UtgU.mH) * S.unsqueeze(-2)
    if gVh is not None:
        VtgV = matmul(Vh, gVh.mH)
        term = S.unsqueeze(-1) * (VtgV - VtgV.mH)
        core = term if core is None else core + term
    core = core / E
    if gS is not None:
        core = core + _diag_embed(gS)
    if m > n and gU is not None:
        gA = matmul(U, core)
        gUS = gU / S.unsqueeze(-2)
        gA = gA + gUS - matmul(U, matmul(U.mH, gUS))
        return matmul(gA, Vh)
    if m < n and gVh is not None:
        gA = matmul(core, Vh)
        SgVh = gVh / S.unsqueeze(-1)
        gA = gA + SgVh - matmul(matmul(SgVh, Vh.mH), Vh)
        return matmul(U, gA)
    return matmul(matmul(U, core), Vh)


def _svd(A, full_matrices, fname='linalg.svd'):
    _need_tensor('linalg_svd', 'A', A)
    _matrix(A, fname)
    _floating(A, fname)
    _not_half(A, fname)
    u, s, vh = np.linalg.svd(A._data, full_matrices=full_matrices)
    U, S, Vh = _wrap(_fortran(u), A), _wrap(s, A), _wrap(_fortran(vh), A)
    if A._dtype.is_complex:
        S = make_tensor(_contiguous(s), dt.from_numpy_dtype(s.dtype), A._device)
    outputs = (U, S, Vh)
    _record(LinalgSvd, outputs, (A,), outputs, full=full_matrices)
    return outputs


def svd(A, full_matrices=True, *, driver=None, out=None):
    """Singular value decomposition ``A = U diag(S) Vh`` with ``S`` descending; with
    ``full_matrices=False`` U and Vh are the reduced factors."""
    return _svd_t(_svd(A, full_matrices))


def svdvals(A, *, driver=None, out=None):
    """Singular values of ``A``, descending."""
    fname = 'linalg.svd'
    _need_tensor('linalg_svdvals', 'A', A)
    _matrix(A, fname)
    _floating(A, fname)
    _not_half(A, fname)
    if A._requires_grad and _grad_state.enabled:
        return _svd(A, False)[1]
    s = np.linalg.svd(A._data, compute_uv=False)
    result = make_tensor(_contiguous(s), dt.from_numpy_dtype(s.dtype), A._device)
    return result if out is None else _out(result, out, 'linalg_svdvals')


def _svd_legacy(A, some, compute_uv):
    if compute_uv:
        U, S, Vh = _svd(A, not some)
        return _svd_legacy_t((U, S, Vh.mH))
    S = svdvals(A)
    m, n = A._data.shape[-2:]
    batch = A._data.shape[:-2]
    U = make_tensor(np.zeros(batch + (m, m), A._data.dtype), A._dtype, A._device)
    V = make_tensor(_fortran(np.zeros(batch + (n, n), A._data.dtype)), A._dtype, A._device)
    return _svd_legacy_t((U, S, V))


class LinalgEigh(Op):
    node_name = 'LinalgEighBackward0'

    def backward(self, gL=None, gV=None):
        L, V = self.saved
        if gV is None:
            if gL is None:
                return (None,)
            return (matmul(V * gL.unsqueeze(-2), V.mH),)
        n = L._data.shape[-1]
        # F[i, j] = 1 / (l_j - l_i) off the diagonal, 0 on it.
        diff = L.unsqueeze(-2) - L.unsqueeze(-1) + _eye(n, L)
        F = (1 - _eye(n, L)) / diff
        C = matmul(V.mH, gV)
        inner = F * (C - C.mH) * 0.5
        if gL is not None:
            inner = inner + _diag_embed(gL)
        return (matmul(V, matmul(inner, V.mH)),)


def _eigh(A, UPLO, vectors):
    fname = 'linalg.eigh'
    _need_tensor('linalg_eigh', 'A', A)
    if UPLO not in ('L', 'U', 'l', 'u'):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    _matrix(A, fname)
    if not (A._dtype.is_floating_point or A._dtype.is_complex) or A._dtype in _HALF:
        raise NotImplementedError(f'"linalg_eigh_cpu" not implemented for '
                                  f"'{_type_name(A._dtype)}'")
    _square(A, fname)
    record = A._requires_grad and _grad_state.enabled
    if vectors or record:
        w, v = np.linalg.eigh(A._data, UPLO=UPLO.upper())
    else:
        w, v = np.linalg.eigvalsh(A._data, UPLO=UPLO.upper()), None
    W = make_tensor(_contiguous(w), dt.from_numpy_dtype(w.dtype), A._device)
    if v is None:
        return W, None
    V = _wrap(_fortran(v), A)
    outputs = (W, V)
    _record(LinalgEigh, outputs, (A,), outputs)
    return outputs


def eigh(A, UPLO='L', *, out=None):
    """Eigenvalues (ascending) and orthonormal eigenvectors of symmetric (Hermitian) matrices,
    read from the lower (``UPLO='L'``) or upper triangle."""
    return _eigh_t(_eigh(A, UPLO, True))


def eigvalsh(A, UPLO='L', *, out=None):
    """Eigenvalues (ascending) of symmetric (Hermitian) matrices."""
    result = _eigh(A, UPLO, False)[0]
    return result if out is None else _out(result, out, 'linalg_eigvalsh')


# ---------------------------------------------------------------------------------------
# pseudo-inverse, least squares, rank
# ---------------------------------------------------------------------------------------
class LinalgPinv(Op):
    node_name = 'LinalgPinvBackward0'

    def backward(self, grad):
        A, P = self.saved
        return (_pinv_grad(grad, P, A),)


def _pinv_grad(G, P, A):
    """Gradient of P = pinv(A) for A of constant rank:
    -P^H G P^H + (I - A P) G^H P P^H + P^H P G^H (I - P A)."""
    Ph = P.mH
    Gh = G.mH
    term1 = -matmul(Ph, matmul(G, Ph))
    GhPPh = matmul(Gh, matmul(P, Ph))
    term2 = GhPPh - matmul(A, matmul(P, GhPPh))
    PhPGh = matmul(matmul(Ph, P), Gh)
    term3 = PhPGh - matmul(matmul(PhPGh, P), A)
    return term1 + term2 + term3


def _tolerances(atol, rtol, smax, m, n, dtype_np):
    """PyTorch's cutoff max(atol, rtol * smax) with its defaults."""
    def as_array(v):
        if v is None:
            return None
        return v._data if isinstance(v, Tensor) else np.asarray(v, dtype=np.float64)
    atol_a = as_array(atol)
    rtol_a = as_array(rtol)
    if rtol_a is None:
        if atol_a is None or np.all(atol_a <= 0):
            rtol_a = np.asarray(np.finfo(dtype_np).eps * max(m, n))
        else:
            rtol_a = np.asarray(0.0)
    if atol_a is None:
        atol_a = np.asarray(0.0)
    return np.maximum(atol_a, rtol_a * smax)


def pinv(A, rcond=None, hermitian=False, *, atol=None, rtol=None, out=None):
    """Moore-Penrose pseudo-inverse from the SVD (or eigendecomposition when ``hermitian``);
    singular values below ``max(atol, rtol * largest)`` count as zero (``rcond`` is the old
    name of ``rtol``)."""
    _need_tensor('linalg_pinv', 'A', A)
    if A._data.ndim < 2 or not (A._dtype.is_floating_point or A._dtype.is_complex) or \
            A._dtype in _HALF:
        raise RuntimeError(f'linalg.pinv({_type_name(A._dtype)}{{{list(A._data.shape)}}}): '
                           'expected a tensor with 2 or more dimensions of float, double, '
                           'cfloat or cdouble types')
    if rcond is not None:
        rtol = rcond
    a = A._data
    m, n = a.shape[-2:]
    if hermitian:
        w, v = np.linalg.eigh(a)
        s = np.abs(w)
        smax = s.max(axis=-1, initial=0)[..., None]
        cut = _tolerances(atol, rtol, smax, m, n, a.dtype)
        inv_w = np.where(s > cut, 1 / np.where(w == 0, 1, w), 0)
        p = np.matmul(v * inv_w[..., None, :], np.swapaxes(v, -1, -2).conj())
    else:
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        smax = s.max(axis=-1, initial=0)[..., None] if s.size else np.zeros(s.shape[:-1] + (1,))
        cut = _tolerances(atol, rtol, smax, m, n, a.dtype)
        inv_s = np.where(s > cut, 1 / np.where(s == 0, 1, s), 0).astype(s.dtype)
        p = np.matmul(np.swapaxes(vh, -1, -2).conj() * inv_s[..., None, :],
                      np.swapaxes(u, -1, -2).conj())
    P = _wrap(_contiguous(p), A)
    _record(LinalgPinv, P, (A,), (A, P))
    return P if out is None else _out(P, out, 'linalg_pinv')


class LinalgLstsq(Op):
    node_name = 'LinalgLstsqBackward0'

    def backward(self, gX=None, g_res=None, *_):
        A, B = self.saved
        if gX is None:
            return None, None
        vector = self.vector
        if vector:
            gX = gX.unsqueeze(-1)
            B = B.unsqueeze(-1)
        P = pinv(A)
        gA = gB = None
        if _needs(self, 0):
            gA = _pinv_grad(matmul(gX, B.mH), P, A)
        if _needs(self, 1):
            gB = matmul(P.mH, gX)
            if vector:
                gB = gB.squeeze(-1)
        return gA, gB


_DRIVERS = ('gels', 'gelsy', 'gelsd', 'gelss')


def lstsq(A, B, rcond=None, *, driver=None):
    """Least-squares solution of ``A X = B`` (minimum norm when rank-deficient), with the
    residuals, rank and singular values that the chosen LAPACK ``driver`` reports."""
    fname = 'torch.linalg.lstsq'
    _need_tensor('linalg_lstsq', 'A', A)
    _need_tensor('linalg_lstsq', 'B', B)
    if driver is not None and driver not in _DRIVERS:
        raise RuntimeError(f'{fname}: parameter `driver` should be one of (gels, gelsy, gelsd, '
                           'gelss)')
    driver = driver or 'gelsy'
    if A._data.ndim < 2:
        raise RuntimeError(f'{fname}: input must have at least 2 dimensions.')
    if B._data.ndim < 1:
        raise RuntimeError(f'{fname}: other must have at least 1 dimension.')
    _floating(A, 'linalg.lstsq')
    if A._dtype is not B._dtype:
        raise RuntimeError(f"{fname}: Expected input and other to have the same dtype, but got "
                           f"input's dtype {_type_name(A._dtype)} and other's dtype "
                           f'{_type_name(B._dtype)}')
    _not_half(A, 'linalg.lstsq')
    _same_device(A, B)
    a, b = A._data, B._data
    vector = b.ndim == a.ndim - 1
    bm = b[..., None] if vector else b
    m, n = a.shape[-2:]
    if bm.shape[-2] != m:
        raise RuntimeError(f'{fname}: input.size(-2) should match other.size(-2)')
    batch = _layout.broadcast_shapes(a.shape[:-2], bm.shape[:-2])
    k = bm.shape[-1]
    a = np.broadcast_to(a, batch + (m, n))
    bm = np.broadcast_to(bm, batch + (m, k))
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    if rcond is None:
        rcond = np.finfo(a.dtype).eps * max(m, n)
    smax = s.max(axis=-1, initial=0)[..., None] if s.size else np.zeros(batch + (1,))
    keep = s > rcond * smax
    inv_s = np.where(keep, 1 / np.where(s == 0, 1, s), 0).astype(s.dtype)
    x = np.matmul(np.swapaxes(vh, -1, -2).conj(),
                  inv_s[..., :, None] * np.matmul(np.swapaxes(u, -1, -2).conj(), bm))
    rank = keep.sum(axis=-1).astype(np.int64)
    # The solution is the top of LAPACK's column-major (max(m, n), k) work buffer.
    buf = np.zeros(batch + (k, max(m, n)), dtype=a.dtype).swapaxes(-1, -2)
    buf[..., :n, :] = x
    solution = buf[..., :n, :]
    if vector:
        solution = solution[..., 0]
    full_rank = bool(np.all(rank == n))
    if m > n and driver != 'gelsy' and (driver == 'gels' or full_rank):
        res = np.sum(np.abs(np.matmul(a, x) - bm) ** 2, axis=-2).astype(a.dtype)
    else:
        res = np.zeros((0,), dtype=a.dtype)
    X = _wrap(solution, A)
    residuals = _wrap(_contiguous(res), A)
    rank_t = make_tensor(_contiguous(rank) if driver != 'gels'
                         else np.zeros((0,), np.int64), dt.int64, A._device)
    sv = s if driver in ('gelsd', 'gelss') else np.zeros((0,), dtype=s.dtype)
    sv_t = make_tensor(_contiguous(sv), dt.from_numpy_dtype(sv.dtype), A._device)
    outputs = (X, residuals, rank_t, sv_t)
    _record(LinalgLstsq, outputs, (A, B), (A, B), differentiable=(0, 1), vector=vector)
    return _lstsq_t(outputs)


def matrix_rank(A, tol=None, hermitian=False, *, atol=None, rtol=None, out=None):
    """Number of singular values above ``max(atol, rtol * largest)`` (int64); ``tol`` is the
    old spelling of ``atol`` with ``rtol=0``."""
    _need_tensor('linalg_matrix_rank', 'input', A)
    if A._data.ndim < 2:
        raise RuntimeError('torch.linalg.matrix_rank: The input tensor input must have at least '
                           '2 dimensions.')
    if not (A._dtype.is_floating_point or A._dtype.is_complex) or A._dtype in _HALF:
        raise RuntimeError("This function doesn't handle types other than float and double")
    if tol is not None:
        atol, rtol = tol, 0.0
    a = A._data
    m, n = a.shape[-2:]
    if hermitian:
        s = np.abs(np.linalg.eigvalsh(a))
    else:
        s = np.linalg.svd(a, compute_uv=False)
    smax = s.max(axis=-1, initial=0)[..., None] if s.size else np.zeros(s.shape[:-1] + (1,))
    cut = _tolerances(atol, rtol, smax, m, n, a.dtype)
    rank = np.sum(s > cut, axis=-1).astype(np.int64)
    result = make_tensor(np.asarray(rank), dt.int64, A._device)
    return result if out is None else _out(result, out, 'linalg_matrix_rank')


# ---------------------------------------------------------------------------------------
# matrix_power, multi_dot, cross
# ---------------------------------------------------------------------------------------
def matrix_power(A, n, *, out=None):
    """``A`` multiplied by itself ``n`` times by repeated squaring; ``n = 0`` gives identity
    matrices and ``n < 0`` powers the inverse."""
    fname = 'linalg.matrix_power'
    _need_tensor('linalg_matrix_power', 'A', A)
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"matrix_power(): argument 'n' (position 2) must be int, not "
                        f'{type(n).__name__}')
    _matrix(A, fname)
    _square(A, fname)
    if n == 0:
        from . import _memory_format
        eye = make_tensor(np.broadcast_to(np.eye(A._data.shape[-1], dtype=A._data.dtype),
                                          A._data.shape), A._dtype, A._device)
        result = A.clone(memory_format=_memory_format.contiguous_format).copy_(eye)
    elif n == 1:
        from . import _memory_format
        result = A.clone(memory_format=_memory_format.contiguous_format)
    else:
        a = A
        if n < 0:
            a = inv(A)
            n = -n
        if n == 1:
            result = a
        elif n == 2:
            result = matmul(a, a)
        elif n == 3:
            result = matmul(matmul(a, a), a)
        else:
            z = None
            result = None
            while n > 0:
                bit = n % 2
                n //= 2
                z = a if z is None else matmul(z, z)
                if bit:
                    result = z if result is None else matmul(result, z)
    return result if out is None else _out(result, out, 'linalg_matrix_power')


def _chain_order(dims):
    """Cheapest parenthesisation of a matrix chain (classic dynamic programming):
    ``split[i][j]`` is where the product of matrices i..j splits."""
    n = len(dims) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = None
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if cost[i][j] is None or c < cost[i][j]:
                    cost[i][j] = c
                    split[i][j] = k
    return split


def multi_dot(tensors, *, out=None):
    """Product of a chain of matrices in the cheapest order; the first may be a row vector
    and the last a column vector (their dims are dropped from the result)."""
    tensors = list(tensors)
    count = len(tensors)
    if count < 2:
        raise RuntimeError(f'multi_dot(): expected at least 2 tensors but got {count}')
    first, last = tensors[0], tensors[-1]
    if first._data.ndim not in (1, 2):
        raise RuntimeError(f'multi_dot(): the first tensor must be 1D or 2D but got '
                           f'{first._data.ndim}D')
    if last._data.ndim not in (1, 2):
        raise RuntimeError(f'multi_dot(): the last tensor must be 1D or 2D but got '
                           f'{last._data.ndim}D')
    for i in range(1, count - 1):
        if tensors[i]._data.ndim != 2:
            raise RuntimeError(f'multi_dot(): tensor {i} must be 2D but got '
                               f'{tensors[i]._data.ndim}D')
    dtype = first._dtype
    for i, t in enumerate(tensors[1:], 1):
        if t._dtype is not dtype:
            raise RuntimeError(f'multi_dot(): all tensors must have be the same dtype but tensor '
                               f'0 is {_type_name(dtype)} and tensor {i} is '
                               f'{_type_name(t._dtype)}')
    mats = list(tensors)
    out_shape = []
    if first._data.ndim == 1:
        mats[0] = first.unsqueeze(0)
    else:
        out_shape.append(first._data.shape[0])
    if last._data.ndim == 1:
        mats[-1] = last.unsqueeze(-1)
    else:
        out_shape.append(last._data.shape[1])
    for i in range(count - 1):
        sa, sb = mats[i]._data.shape, mats[i + 1]._data.shape
        if sa[1] != sb[0]:
            raise RuntimeError(f'multi_dot(): tensors {i} and {i + 1} with shapes {list(sa)} and '
                               f'{list(sb)} cannot be multiplied')
    from ._ops.linalg import mm
    if count == 2:
        product = mm(mats[0], mats[1])
    else:
        dims = [mats[0]._data.shape[0]] + [t._data.shape[1] for t in mats]
        split = _chain_order(dims)

        def chain(i, j):
            if i == j:
                return mats[i]
            k = split[i][j]
            return mm(chain(i, k), chain(k + 1, j))
        product = chain(0, count - 1)
    result = product.view(tuple(out_shape))
    return result if out is None else _out(result, out, 'linalg_multi_dot')


def cross(input, other, *, dim=-1, out=None):
    """Cross product of 3-vectors along ``dim``; shapes broadcast (same rank required)."""
    result = _cross(input, other, dim)
    return result if out is None else _out(result, out, 'linalg_cross')

