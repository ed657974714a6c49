"""Matrix products and contractions: ``matmul`` with PyTorch's 1-D/2-D/batched rules, ``mm``,
``bmm``, ``mv``, ``dot``, ``vdot``, ``inner``, ``outer``, the fused ``add*`` products,
``tensordot``, ``einsum``, ``kron``, ``cross`` and ``cdist``.

Every product computes with one NumPy call on the operands' own arrays (a 1024x1024 float32
matmul is a single ``np.matmul``, no copies) and records one node. Where PyTorch records a
short chain for a case (fold the batch into rows, ``mm``, then ``_unsafe_view``), ember's single
node carries the name PyTorch shows at the top of that chain (``UnsafeViewBackward0``), so
``grad_fn.name()`` agrees while backward stays one Python call.

The decompositions and norms of ``ember.linalg`` live in ``ember/linalg.py``; the legacy
top-level spellings (``ember.det``, ``ember.svd``...) are defined here and call into it.
"""

__all__ = ['mm', 'bmm', 'dot', 'vdot', 'mv', 'matmul', 'addmm', 'addmv', 'addbmm', 'baddbmm',
           'outer', 'ger', 'inner', 'tensordot', 'einsum', 'kron', 'cross', 'cdist',
           'chain_matmul', 'det', 'inverse', 'cholesky', 'svd', 'qr', 'slogdet', 'logdet',
           'pinverse', 'matrix_power']

import math

import numpy as np

from .. import _dtype as dt
from .. import _args
from .. import _layout
from .._tensor import Tensor, make_tensor
from ..autograd import grad_mode
from ..autograd.function import Op, attach, check_same_device

_grad_state = grad_mode.state
_f32 = np.dtype(np.float32)
# NumPy has no BLAS kernel for half types: they compute in float32 (as PyTorch accumulates).
_HALF = frozenset((dt.float16, dt.bfloat16))


# ---------------------------------------------------------------------------------------
# shared helpers
# ---------------------------------------------------------------------------------------
def _type_name(d):
    """PyTorch's scalar type name: Float, Double, Long..."""
    from .elementwise import _type_name as name
    return name(d)


def _cpp_name(d):
    """The C++ type name PyTorch prints in some dtype errors (float, double, long int...)."""
    return {'float32': 'float', 'float64': 'double', 'float16': 'c10::Half',
            'bfloat16': 'c10::BFloat16', 'int64': 'long int', 'int32': 'int',
            'int16': 'short int', 'int8': 'signed char', 'uint8': 'unsigned char',
            'bool': 'bool', 'complex64': 'c10::complex<float>',
            'complex128': 'c10::complex<double>'}[d.name]


def _need_tensor(name, arg, value):
    if not isinstance(value, Tensor):
        raise TypeError(f"{name}(): argument '{arg}' must be Tensor, not "
                        f'{_args.type_name(value)}')


def _same_device(a, b):
    if a._device is not b._device:
        check_same_device((a, b))


def _no_bool(dtype, kernel):
    if dtype is dt.bool:
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')


def _compute(fn, dtype, *arrays):
    """``fn(*arrays)`` in ``dtype``; half types go through float32."""
    if dtype in _HALF:
        out = fn(*[a.astype(_f32) for a in arrays])
        return np.asarray(out).astype(dtype.numpy_dtype)
    return fn(*arrays)


def _contiguous(a, dtype=None):
    """A C-contiguous array (0-d stays 0-d, unlike ``np.ascontiguousarray``)."""
    a = np.asarray(a, dtype=dtype)
    return a if a.flags.c_contiguous else a.copy(order='C')


def _wrap(data, dtype, device):
    if type(data) is not np.ndarray:
        data = np.asarray(data)
    return make_tensor(data, dtype, device)


def _needs(node, i):
    """Whether input ``i`` of ``node`` wants a gradient."""
    return node.next_functions[i][0] is not None


def _record_pair(cls, result, a, b, args=()):
    """Record a product node over ``a`` and ``b``: each is saved only when the other's
    gradient needs it (as PyTorch saves them)."""
    node = cls.__new__(cls)
    node._connect((a, b))
    node.args = args
    node.save(a if b._requires_grad else None, b if a._requires_grad else None)
    attach(node, result)
    return result


def _out(result, out, name):
    """Write a product into ``out=``: same dtype required, no autograd."""
    if out is None:
        return result
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {_args.type_name(out)}")
    if result._grad_fn is not None or (out._requires_grad and _grad_state.enabled):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support "
                           'automatic differentiation, but one of the arguments requires '
                           'grad.')
    if out._dtype is not result._dtype:
        raise RuntimeError(f'Expected out tensor to have dtype {_cpp_name(result._dtype)}, '
                           f'but got {_cpp_name(out._dtype)} instead')
    from .elementwise import copy_into_out
    return copy_into_out(result, out)


def _prod(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def _scalar(value, dtype):
    """A Python number (alpha/beta) as a NumPy scalar of the tensors' dtype."""
    if isinstance(value, Tensor):
        value = value.item()
    if dtype.is_floating_point or dtype.is_complex:
        return dtype.numpy_dtype.type(value) if dtype not in _HALF else np.float32(value)
    if isinstance(value, float):
        value = int(value)
    return dtype.numpy_dtype.type(value)


def _expand_error(target, shape, bias):
    """PyTorch's message when a bias does not expand to the product's shape."""
    lead = len(target) - len(shape)
    if lead < 0:
        return RuntimeError(f'expand({bias.type()}{{{list(shape)}}}, size='
                            f'{list(target)}): the number of sizes provided ({len(target)}) '
                            'must be greater or equal to the number of dimensions in the '
                            f'tensor ({len(shape)})')
    for i in range(len(shape) - 1, -1, -1):
        if shape[i] != 1 and shape[i] != target[i + lead]:
            return RuntimeError(f'The expanded size of the tensor ({target[i + lead]}) must '
                                f'match the existing size ({shape[i]}) at non-singleton '
                                f'dimension {i + lead}.  Target sizes: {list(target)}.  '
                                f'Tensor sizes: {list(shape)}')
    return None


def _check_bias(bias, target):
    shape = bias._data.shape
    if shape == target:
        return
    n = len(shape)
    if n <= len(target):
        for size, want in zip(shape, target[len(target) - n:]):
            if size != want and size != 1:
                break
        else:
            return
    raise _expand_error(target, shape, bias)


def _bias_term(bias, beta, dtype):
    data = bias._data
    if bias._dtype in _HALF:
        data = data.astype(_f32)
    return data if beta == 1 else data * _scalar(beta, dtype)


# ---------------------------------------------------------------------------------------
# mm, bmm, mv, dot, vdot
# ---------------------------------------------------------------------------------------
def _column_major(t):
    """Whether a matrix is laid out column by column (``weight.t()`` in ``linear``)."""
    strides = t._data.strides
    return strides[0] == t._data.itemsize and strides[1] != strides[0]


def _grad_in_layout(column_major, left, right):
    """``left @ right``; for a column-major operand computed as ``(right^H @ left^H)^H``, so
    the gradient reaching the untransposed tensor is contiguous, as PyTorch's
    mm_mat*_backward arranges (the leaf can then keep it without a copy)."""
    if column_major:
        return right.mH.mm(left.mH).mH
    return left.mm(right)


class Mm(Op):
    node_name = 'MmBackward0'

    def backward(self, grad):
        a, b = self.saved
        a_cols, b_cols = self.args or (False, False)
        return (_grad_in_layout(a_cols, grad, b.mH) if _needs(self, 0) else None,
                _grad_in_layout(b_cols, a.mH, grad) if _needs(self, 1) else None)


def _mm_dtype_error(a, b):
    return RuntimeError(f'expected m1 and m2 to have the same dtype, but got: '
                        f'{_cpp_name(a._dtype)} != {_cpp_name(b._dtype)}')


def _mm(input, mat2, x, y, out, name='mm'):
    """The 2-D product once both operands are known to be matrices."""
    dtype = input._dtype
    k = x.shape[1]
    if k != y.shape[0] or mat2._dtype is not dtype or input._device is not mat2._device \
            or dtype in _SPECIAL:
        return _mm_checked(input, mat2, x, y, out, name)
    # BLAS forms k=1 products directly (keeping -0.0); NumPy's loop would add them to 0.
    data = np.matmul(x, y) if k != 1 else np.multiply(x, y)
    result = make_tensor(data, dtype, input._device)
    if (input._requires_grad or mat2._requires_grad) and _grad_state.enabled:
        _record_pair(Mm, result, input, mat2, (_column_major(input), _column_major(mat2)))
    return result if out is None else _out(result, out, name)


_SPECIAL = frozenset((dt.float16, dt.bfloat16, dt.bool))


def _mm_checked(input, mat2, x, y, out, name):
    if x.shape[1] != y.shape[0]:
        raise RuntimeError(f'mat1 and mat2 shapes cannot be multiplied ({x.shape[0]}x'
                           f'{x.shape[1]} and {y.shape[0]}x{y.shape[1]})')
    dtype = input._dtype
    if mat2._dtype is not dtype:
        raise _mm_dtype_error(input, mat2)
    _same_device(input, mat2)
    _no_bool(dtype, 'addmm_impl_cpu_')
    result = make_tensor(_compute(np.matmul, dtype, x, y), dtype, input._device)
    if (input._requires_grad or mat2._requires_grad) and _grad_state.enabled:
        _record_pair(Mm, result, input, mat2)
    return result if out is None else _out(result, out, name)


def mm(input, mat2, *, out=None):
    """Matrix product of two 2-D tensors ``(n, k) @ (k, m) -> (n, m)``; no broadcasting."""
    if not (isinstance(input, Tensor) and isinstance(mat2, Tensor)):
        _need_tensor('mm', 'input', input)
        _need_tensor('mm', 'mat2', mat2)
    x, y = input._data, mat2._data
    if x.ndim != 2:
        raise RuntimeError('self must be a matrix')
    if y.ndim != 2:
        raise RuntimeError('mat2 must be a matrix')
    return _mm(input, mat2, x, y, out)


class Bmm(Op):
    node_name = 'BmmBackward0'

    def backward(self, grad):
        a, b = self.saved
        return (grad.bmm(b.mH) if _needs(self, 0) else None,
                a.mH.bmm(grad) if _needs(self, 1) else None)


def _bmm_shapes(x, y):
    if x.ndim != 3:
        raise RuntimeError('batch1 must be a 3D tensor')
    if y.ndim != 3:
        raise RuntimeError('batch2 must be a 3D tensor')
    if x.shape[0] != y.shape[0] or x.shape[2] != y.shape[1]:
        raise RuntimeError(f'Expected size for first two dimensions of batch2 tensor to be: '
                           f'[{x.shape[0]}, {x.shape[2]}] but got: [{y.shape[0]}, '
                           f'{y.shape[1]}].')


def _scalar_type_error(expected, found):
    return RuntimeError(f'expected scalar type {_type_name(expected)} but found '
                        f'{_type_name(found)}')


def bmm(input, mat2, *, out=None):
    """Batched matrix product ``(b, n, k) @ (b, k, m) -> (b, n, m)``; no broadcasting."""
    _need_tensor('bmm', 'input', input)
    _need_tensor('bmm', 'mat2', mat2)
    x, y = input._data, mat2._data
    _bmm_shapes(x, y)
    dtype = input._dtype
    if mat2._dtype is not dtype:
        raise _scalar_type_error(dtype, mat2._dtype)
    _same_device(input, mat2)
    _no_bool(dtype, 'bmm')
    result = make_tensor(_contiguous(_compute(np.matmul, dtype, x, y)), dtype, input._device)
    if (input._requires_grad or mat2._requires_grad) and _grad_state.enabled:
        _record_pair(Bmm, result, input, mat2)
    return _out(result, out, 'bmm')


class Mv(Op):
    node_name = 'MvBackward0'

    def backward(self, grad):
        a, v = self.saved
        return (grad.unsqueeze(-1) * v.conj().unsqueeze(0) if _needs(self, 0) else None,
                a.mH.mv(grad) if _needs(self, 1) else None)


def _mv_errors(input, vec, x, y):
    if x.ndim != 2 or y.ndim != 1:
        raise RuntimeError(f'vector + matrix @ vector expected, got 1, {x.ndim}, {y.ndim}')
    if x.shape[1] != y.shape[0]:
        raise RuntimeError(f'size mismatch, got input ({x.shape[0]}), mat '
                           f'({x.shape[0]}x{x.shape[1]}), vec ({y.shape[0]})')
    if input._dtype is not vec._dtype:
        raise RuntimeError(f'addmv input tensors must have the same dtype, but got '
                           f'{_type_name(vec._dtype)}, {_type_name(input._dtype)}, and '
                           f'{_type_name(vec._dtype)}')
    _same_device(input, vec)
    _no_bool(input._dtype, 'addmv_impl_cpu')


def mv(input, vec, *, out=None):
    """Matrix-vector product ``(n, k) @ (k,) -> (n,)``."""
    _need_tensor('mv', 'input', input)
    _need_tensor('mv', 'vec', vec)
    x, y = input._data, vec._data
    _mv_errors(input, vec, x, y)
    dtype = input._dtype
    result = make_tensor(_compute(np.matmul, dtype, x, y), dtype, input._device)
    if (input._requires_grad or vec._requires_grad) and _grad_state.enabled:
        _record_pair(Mv, result, input, vec)
    return _out(result, out, 'mv')


class Dot(Op):
    node_name = 'DotBackward0'

    def backward(self, grad):
        a, b = self.saved
        return (grad * b.conj() if _needs(self, 0) else None,
                grad * a.conj() if _needs(self, 1) else None)


class Vdot(Op):
    node_name = 'VdotBackward0'

    def backward(self, grad):
        a, b = self.saved
        return (grad.conj() * b if _needs(self, 0) else None,
                grad * a if _needs(self, 1) else None)


def _dot_checks(input, other, x, y, kernel='dot'):
    if x.ndim != 1 or y.ndim != 1:
        raise RuntimeError(f'1D tensors expected, but got {x.ndim}D and {y.ndim}D tensors')
    if x.shape[0] != y.shape[0]:
        raise RuntimeError(f'inconsistent tensor size, expected tensor [{x.shape[0]}] and '
                           f'src [{y.shape[0]}] to have the same number of elements, but got '
                           f'{x.shape[0]} and {y.shape[0]} elements respectively')
    if input._dtype is not other._dtype:
        raise RuntimeError(f'dot : expected both vectors to have same dtype, but found '
                           f'{_type_name(input._dtype)} and {_type_name(other._dtype)}')
    _same_device(input, other)
    _no_bool(input._dtype, kernel)


def dot(input, tensor, *, out=None):
    """Inner product of two 1-D tensors of equal length (a 0-d result)."""
    _need_tensor('dot', 'input', input)
    _need_tensor('dot', 'tensor', tensor)
    x, y = input._data, tensor._data
    _dot_checks(input, tensor, x, y)
    dtype = input._dtype
    result = _wrap(_compute(np.dot, dtype, x, y), dtype, input._device)
    if (input._requires_grad or tensor._requires_grad) and _grad_state.enabled:
        _record_pair(Dot, result, input, tensor)
    return _out(result, out, 'dot')


def vdot(input, other, *, out=None):
    """``dot`` with the first argument conjugated (the same as ``dot`` for real tensors)."""
    _need_tensor('vdot', 'input', input)
    _need_tensor('vdot', 'other', other)
    x, y = input._data, other._data
    _dot_checks(input, other, x, y)
    dtype = input._dtype
    result = _wrap(_compute(np.vdot, dtype, x, y), dtype, input._device)
    if (input._requires_grad or other._requires_grad) and _grad_state.enabled:
        _record_pair(Vdot, result, input, other)
    return _out(result, out, 'vdot')


# ---------------------------------------------------------------------------------------
# matmul
# ---------------------------------------------------------------------------------------
class Matmul(Op):
    """A broadcast product of any ranks, as one node. Subclasses only rename it after the
    node PyTorch shows on top of its chain for the case at hand."""
    node_name = 'UnsafeViewBackward0'

    def backward(self, grad):
        a, b = self.saved
        da, db = self.args
        if da == 1:
            grad = grad.unsqueeze(-2)
        if db == 1:
            grad = grad.unsqueeze(-1)
        ga = gb = None
        if _needs(self, 0):
            rhs = b if db > 1 else b.unsqueeze(-1)
            ga = matmul(grad, rhs.mH)
            if da == 1:
                ga = ga.squeeze(-2)
        if _needs(self, 1):
            lhs = a if da > 1 else a.unsqueeze(0)
            gb = matmul(lhs.mH, grad)
            if db == 1:
                gb = gb.squeeze(-1)
        return ga, gb


class MatmulSqueeze(Matmul):
    node_name = 'SqueezeBackward4'      # vector @ matrix: mm then squeeze_(0)


class MatmulClone(Matmul):
    node_name = 'CloneBackward0'        # matrix @ batch, folded: mm, then .mT.contiguous()


class MatmulTranspose(Matmul):
    node_name = 'TransposeBackward0'    # as above when .mT already is contiguous


def _should_fold(sa, ta, ra, sb, tb, rb, has_out):
    """PyTorch's choice of folding the batch of the larger operand into matrix rows (one
    ``mm``/``mv``) instead of a broadcast ``bmm``. Operands are (shape, strides, requires)."""
    da, db = len(sa), len(sb)
    larger = da >= db
    dim_t1, dim_t2 = (da, db) if larger else (db, da)
    if not (dim_t1 >= 3 and dim_t2 <= 2):
        return False
    if (rb if larger else ra) and not has_out:
        return True
    if da == 2:
        return False
    if larger:
        shape, strides = sa, ta
    else:
        shape = sb[:-2] + (sb[-1], sb[-2])
        strides = tb[:-2] + (tb[-1], tb[-2])
    if _prod(shape) == 0:
        return True
    for i in range(dim_t1 - 2):
        if strides[i] != strides[i + 1] * shape[i + 1]:
            return False
    return True


def _matmul_plan(input, other, has_out):
    """Check shapes along PyTorch's path for these operands (so errors read like PyTorch's)
    and return the node class naming the result, or the TransposeBackward0 strides."""
    sa, sb = input._data.shape, other._data.shape
    ta, tb = input.stride(), other.stride()
    ra, rb = input._requires_grad, other._requires_grad
    if len(sa) == 3 and len(sb) == 3 and sa[0] != sb[0]:
        # PyTorch drops a size-1 batch of an operand that requires grad and folds instead.
        if sa[0] == 1 and ra:
            sa, ta = sa[1:], ta[1:]
        elif sb[0] == 1 and rb:
            sb, tb = sb[1:], tb[1:]
    da, db = len(sa), len(sb)
    if _should_fold(sa, ta, ra, sb, tb, rb, has_out):
        transpose = db > da
        if transpose:
            rows = _prod(sb[:-2]) * sb[-1]
            k1, k2 = sb[-2], sa[-1]
            mat = da == 2
            second = (sa[-1], sa[0]) if mat else (sa[0],)
        else:
            rows = _prod(sa[:-1])
            k1, k2 = sa[-1], sb[0]
            mat = db == 2
            second = sb
        if k1 != k2:
            if mat:
                raise RuntimeError(f'mat1 and mat2 shapes cannot be multiplied ({rows}x{k1} '
                                   f'and {second[0]}x{second[1]})')
            raise RuntimeError(f'size mismatch, got input ({rows}), mat ({rows}x{k1}), vec '
                               f'({second[0]})')
        if input._dtype is not other._dtype:
            raise _mm_dtype_error(input, other)
        _no_bool(input._dtype, 'addmm_impl_cpu_' if mat else 'addmv_impl_cpu')
        if transpose and mat:
            # PyTorch returns mm(...).mT.contiguous(): a copy unless .mT is contiguous already.
            p, n = sb[-1], sa[0]
            cs = _layout.contiguous_strides(sb[:-2] + (p, n))
            strides = cs[:-2] + (cs[-1], cs[-2])
            if _layout.is_contiguous(sb[:-2] + (n, p), strides):
                return MatmulTranspose, strides
            return MatmulClone, None
        return Matmul, None
    batch_a = sa[:-2] if da > 1 else ()
    batch_b = sb[:-2] if db > 1 else ()
    batch = _layout.broadcast_shapes(batch_a, batch_b)
    if input._dtype is not other._dtype:
        raise _scalar_type_error(input._dtype, other._dtype)
    k1 = sa[-1]
    k2 = sb[-2] if db > 1 else sb[0]
    if k1 != k2:
        n_batch = _prod(batch)
        raise RuntimeError(f'Expected size for first two dimensions of batch2 tensor to be: '
                           f'[{n_batch}, {k1}] but got: [{n_batch}, {k2}].')
    _no_bool(input._dtype, 'bmm')
    return Matmul, None


def matmul(input, other, *, out=None):
    """Matrix product with PyTorch's rules for every rank.

    1-D @ 1-D is ``dot``; 2-D @ 1-D is ``mv``; a 1-D first operand is treated as a row (a
    dim prepended, then removed) and a 1-D second operand as a column (appended, removed);
    dims before the last two are batch dims and broadcast.
    """
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        _need_tensor('matmul', 'input', input)
        _need_tensor('matmul', 'other', other)
    x, y = input._data, other._data
    da, db = x.ndim, y.ndim
    if da == 2:
        if db == 2:
            return _mm(input, other, x, y, out, 'matmul')
        if db == 1:
            return mv(input, other, out=out)
    if da == 0 or db == 0:
        raise RuntimeError(f'both arguments to matmul need to be at least 1D, but they are '
                           f'{da}D and {db}D')
    if da == 1 and db == 1:
        return dot(input, other, out=out)
    dtype = input._dtype
    record = (input._requires_grad or other._requires_grad) and _grad_state.enabled
    strides = None
    if record or out is not None or other._dtype is not dtype or dtype in _SPECIAL or \
            input._device is not other._device:
        cls, strides = _matmul_case(input, other, da, db, out is not None)
        _same_device(input, other)
        data = _compute(np.matmul, dtype, x, y)
    else:
        try:
            data = np.matmul(x, y)
        except ValueError:
            _matmul_case(input, other, da, db, False)   # raises PyTorch's error
            raise
    if not data.flags.c_contiguous:
        data = data.copy()      # NumPy lays the batch out like the operands; PyTorch doesn't
    result = make_tensor(data, dtype, input._device)
    if strides is not None:
        result._stride = strides
    if record:
        _record_pair(cls, result, input, other, (da, db))
    return result if out is None else _out(result, out, 'matmul')


def _matmul_case(input, other, da, db, has_out):
    """The node class (and any special strides) for a product that is not 2-D @ 2-D,
    2-D @ 1-D or 1-D @ 1-D, after PyTorch's shape and dtype checks."""
    if da == 1 and db == 2:
        x, y = input._data, other._data
        if x.shape[0] != y.shape[0]:
            raise RuntimeError(f'mat1 and mat2 shapes cannot be multiplied (1x{x.shape[0]}'
                               f' and {y.shape[0]}x{y.shape[1]})')
        if input._dtype is not other._dtype:
            raise _mm_dtype_error(input, other)
        _no_bool(input._dtype, 'addmm_impl_cpu_')
        return MatmulSqueeze, None
    return _matmul_plan(input, other, has_out)


# ---------------------------------------------------------------------------------------
# fused products: addmm, addmv, addbmm, baddbmm
# ---------------------------------------------------------------------------------------
class _AddProduct(Op):
    """``beta * input + alpha * product(m1, m2)``: inputs (input, m1, m2); args (beta, alpha,
    ...).

    Subclasses give the product's two partial gradients."""

    def backward(self, grad):
        _, m1, m2 = self.saved
        beta, alpha = self.args[:2]
        g_in = None
        if _needs(self, 0):
            g_in = grad if beta == 1 else grad * beta
        g1 = self.grad_first(grad, m1, m2) if _needs(self, 1) else None
        g2 = self.grad_second(grad, m1, m2) if _needs(self, 2) else None
        if alpha != 1:
            g1 = None if g1 is None else g1 * alpha
            g2 = None if g2 is None else g2 * alpha
        return g_in, g1, g2


class Addmm(_AddProduct):
    node_name = 'AddmmBackward0'

    # args: (beta, alpha, m1 column-major, m2 column-major), for _grad_in_layout
    def grad_first(self, grad, m1, m2):
        return _grad_in_layout(self.args[2], grad, m2.mH)

    def grad_second(self, grad, m1, m2):
        return _grad_in_layout(self.args[3], m1.mH, grad)


class Addmv(_AddProduct):
    node_name = 'AddmvBackward0'

    @staticmethod
    def grad_first(grad, mat, vec):
        return grad.unsqueeze(-1) * vec.conj().unsqueeze(0)

    @staticmethod
    def grad_second(grad, mat, vec):
        return mat.mH.mv(grad)


class Addbmm(_AddProduct):
    node_name = 'AddbmmBackward0'

    @staticmethod
    def grad_first(grad, b1, b2):
        return matmul(grad.unsqueeze(0), b2.mH)

    @staticmethod
    def grad_second(grad, b1, b2):
        return matmul(b1.mH, grad.unsqueeze(0))


class Baddbmm(_AddProduct):
    node_name = 'BaddbmmBackward0'

    @staticmethod
    def grad_first(grad, b1, b2):
        return grad.bmm(b2.mH)

    @staticmethod
    def grad_second(grad, b1, b2):
        return b1.mH.bmm(grad)


def _fused(cls, name, input, m1, m2, product, shape, beta, alpha, out):
    """Finish a fused product: scale, add the broadcast bias, wrap, record."""
    _check_bias(input, shape)
    dtype = m1._dtype
    # ``product`` is a fresh array: scale it and add the bias in place.
    if alpha != 1:
        product *= _scalar(alpha, dtype)
    if beta != 0:
        np.add(product, _bias_term(input, beta, dtype), out=product)
    data = product if dtype not in _HALF else product.astype(dtype.numpy_dtype)
    if not data.flags.c_contiguous:
        data = data.copy()
    result = make_tensor(data, dtype, m1._device)
    if _grad_state.enabled and (input._requires_grad or m1._requires_grad or
                                m2._requires_grad):
        node = cls.__new__(cls)
        node._connect((input, m1, m2))
        node.args = (beta, alpha) if cls is not Addmm else (
            beta, alpha, _column_major(m1), _column_major(m2))
        node.save(None, m1 if m2._requires_grad else None, m2 if m1._requires_grad else None)
        attach(node, result)
    return _out(result, out, name)


def _tensors3(name, a, b, c, names):
    for arg, value in zip(names, (a, b, c)):
        _need_tensor(name, arg, value)
    if a._device is not b._device or b._device is not c._device:
        check_same_device((a, b, c))


def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * (mat1 @ mat2)``; ``input`` broadcasts to the product's shape
    and is ignored (even NaN) when ``beta`` is 0."""
    if not (isinstance(input, Tensor) and isinstance(mat1, Tensor) and
            isinstance(mat2, Tensor)):
        _tensors3('addmm', input, mat1, mat2, ('input', 'mat1', 'mat2'))
    x, y = mat1._data, mat2._data
    dtype = mat2._dtype
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[0] or input._dtype is not dtype \
            or mat1._dtype is not dtype or dtype in _SPECIAL or \
            input._device is not mat1._device or mat1._device is not mat2._device:
        _addmm_checks(input, mat1, mat2, x, y)
    product = np.matmul(x, y) if dtype not in _HALF else _product32(np.matmul, dtype, x, y)
    return _fused(Addmm, 'addmm', input, mat1, mat2, product, (x.shape[0], y.shape[1]),
                  beta, alpha, out)


def _addmm_checks(input, mat1, mat2, x, y):
    _tensors3('addmm', input, mat1, mat2, ('input', 'mat1', 'mat2'))
    if x.ndim != 2:
        raise RuntimeError(f'mat1 must be a matrix, got {x.ndim}-D tensor')
    if y.ndim != 2:
        raise RuntimeError(f'mat2 must be a matrix, got {y.ndim}-D tensor')
    if x.shape[1] != y.shape[0]:
        raise RuntimeError(f'mat1 and mat2 shapes cannot be multiplied ({x.shape[0]}x'
                           f'{x.shape[1]} and {y.shape[0]}x{y.shape[1]})')
    if input._dtype is not mat2._dtype:
        raise RuntimeError(f'self and mat2 must have the same dtype, but got '
                           f'{_type_name(input._dtype)} and {_type_name(mat2._dtype)}')
    if mat1._dtype is not mat2._dtype:
        raise RuntimeError(f'mat1 and mat2 must have the same dtype, but got '
                           f'{_type_name(mat1._dtype)} and {_type_name(mat2._dtype)}')
    _no_bool(mat1._dtype, 'addmm_impl_cpu_')


def _product32(fn, dtype, x, y):
    """A product kept in float32 for half types until the bias is added."""
    if dtype in _HALF:
        return fn(x.astype(_f32), y.astype(_f32))
    return fn(x, y)


def addmv(input, mat, vec, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * (mat @ vec)``."""
    _tensors3('addmv', input, mat, vec, ('input', 'mat', 'vec'))
    x, y = mat._data, vec._data
    if x.ndim != 2 or y.ndim != 1:
        raise RuntimeError(f'vector + matrix @ vector expected, got {input._data.ndim}, '
                           f'{x.ndim}, {y.ndim}')
    bias_shape = input._data.shape
    if x.shape[1] != y.shape[0] or (bias_shape and bias_shape[-1] not in (1, x.shape[0])) \
            or len(bias_shape) > 1:
        size = bias_shape[0] if bias_shape else 1
        raise RuntimeError(f'size mismatch, got input ({size}), mat ({x.shape[0]}x'
                           f'{x.shape[1]}), vec ({y.shape[0]})')
    if not (input._dtype is mat._dtype is vec._dtype):
        raise RuntimeError(f'addmv input tensors must have the same dtype, but got '
                           f'{_type_name(input._dtype)}, {_type_name(mat._dtype)}, and '
                           f'{_type_name(vec._dtype)}')
    _no_bool(mat._dtype, 'addmv_impl_cpu')
    product = _product32(np.matmul, mat._dtype, x, y)
    return _fused(Addmv, 'addmv', input, mat, vec, product, (x.shape[0],), beta, alpha, out)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * sum_i(batch1[i] @ batch2[i])``: a batch reduced to one matrix."""
    _tensors3('addbmm', input, batch1, batch2, ('input', 'batch1', 'batch2'))
    x, y = batch1._data, batch2._data
    if x.ndim != 3:
        raise RuntimeError('batch1 must be a 3D tensor')
    if y.ndim != 3:
        raise RuntimeError('batch2 must be a 3D tensor')
    if x.shape[0] != y.shape[0]:
        raise RuntimeError(f'batch1 and batch2 must have same number of batches, got '
                           f'{x.shape[0]} and {y.shape[0]}')
    if x.shape[2] != y.shape[1]:
        raise RuntimeError(f'Incompatible matrix sizes for bmm ({x.shape[1]}x{x.shape[2]} '
                           f'and {y.shape[1]}x{y.shape[2]})')
    if input._dtype is not batch2._dtype or batch1._dtype is not batch2._dtype:
        first = input._dtype if input._dtype is not batch2._dtype else batch1._dtype
        raise RuntimeError(f'self and mat2 must have the same dtype, but got '
                           f'{_type_name(first)} and {_type_name(batch2._dtype)}')
    _no_bool(batch1._dtype, 'addbmm')
    dtype = batch1._dtype
    b, n, k = x.shape
    p = y.shape[2]
    # One GEMM: rows of every batch side by side, times the batches stacked.
    lhs = x.transpose(1, 0, 2).reshape(n, b * k)
    rhs = y.reshape(b * k, p)
    product = _product32(np.matmul, dtype, lhs, rhs)
    return _fused(Addbmm, 'addbmm', input, batch1, batch2, product, (n, p), beta, alpha, out)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * bmm(batch1, batch2)``."""
    _tensors3('baddbmm', input, batch1, batch2, ('input', 'batch1', 'batch2'))
    x, y = batch1._data, batch2._data
    _bmm_shapes(x, y)
    if not (input._dtype is batch1._dtype is batch2._dtype):
        raise RuntimeError(f'Input dtypes must be the same, got: input '
                           f'{_cpp_name(input._dtype)}, batch1: {_cpp_name(batch1._dtype)}, '
                           f'batch2: {_cpp_name(batch2._dtype)}')
    _no_bool(batch1._dtype, 'baddbmm')
    product = _product32(np.matmul, batch1._dtype, x, y)
    return _fused(Baddbmm, 'baddbmm', input, batch1, batch2, product,
                  (x.shape[0], x.shape[1], y.shape[2]), beta, alpha, out)


# ---------------------------------------------------------------------------------------
# outer, inner, tensordot, kron
# ---------------------------------------------------------------------------------------
def outer(input, vec2, *, out=None):
    """Outer product of two 1-D tensors: ``input[i] * vec2[j]`` (with type promotion)."""
    _need_tensor('outer', 'input', input)
    _need_tensor('outer', 'vec2', vec2)
    if input._data.ndim != 1:
        raise RuntimeError(f'outer: Expected 1-D argument self, but got {input._data.ndim}-D')
    if vec2._data.ndim != 1:
        raise RuntimeError(f'outer: Expected 1-D argument vec2, but got {vec2._data.ndim}-D')
    result = input.reshape(-1, 1) * vec2
    if out is None:
        return result
    from .elementwise import copy_into_out
    return copy_into_out(result, out)


ger = outer


def inner(input, other, *, out=None):
    """Sum of products over the last dims: ``inner(a, b)[i..., j...] = a[i..., :] . b[j..., :]``
    (a plain product when either is 0-d)."""
    _need_tensor('inner', 'input', input)
    _need_tensor('inner', 'other', other)
    if input._data.ndim == 0 or other._data.ndim == 0:
        result = input * other
    else:
        sa, sb = input._data.shape, other._data.shape
        if sa[-1] != sb[-1]:
            raise RuntimeError(f'inner() the last dimension must match on both input tensors '
                               f'but got shapes {list(sa)} and {list(sb)}')
        if input._dtype is dt.bool and other._dtype is dt.bool:
            raise NotImplementedError('"dot" not implemented for \'Bool\'')
        result = tensordot(input, other, ([-1], [-1]))
    return _out(result, out, 'inner') if out is not None else result


class Contraction(Op):
    """A contraction of operands given as einsum subscripts, recorded as one node whose
    backward is an einsum per operand. ``node_name`` is set per instance's class."""
    node_name = 'ViewBackward0'

    def backward(self, grad):
        operands = self.saved
        subs, out_sub = self.subs, self.out_sub
        grads = []
        for i, meta in enumerate(self._metas):
            if meta is None:
                grads.append(None)
                continue
            grads.append(_einsum_grad(grad, out_sub, subs, operands, i, meta[0]))
        return tuple(grads)


class ContractionPermute(Contraction):
    node_name = 'PermuteBackward0'


class ContractionSum(Contraction):
    node_name = 'SumBackward1'


class ContractionMul(Contraction):
    node_name = 'MulBackward0'


def _record_contraction(cls, result, operands, subs, out_sub):
    if _grad_state.enabled and any(t._requires_grad for t in operands):
        node = cls.__new__(cls)
        node._connect(operands)
        node.args = ()
        # Operand j is needed only for the gradients of the others.
        wanted = [t._requires_grad for t in operands]
        count = sum(wanted)
        node.save(*[t if count - wanted[j] > 0 else None for j, t in enumerate(operands)])
        node.subs = subs
        node.out_sub = out_sub
        attach(node, result)
    return result


_LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'


def _tensordot_dims(dims, na, nb):
    if isinstance(dims, Tensor):
        dims = dims.item() if dims.numel() == 1 else dims.tolist()
    if isinstance(dims, (list, tuple)):
        if len(dims) != 2:
            raise RuntimeError('tensordot expects dims to be a pair of lists of dims')
        dims_a, dims_b = dims
        for d in (dims_a, dims_b):
            if isinstance(d, int) or not isinstance(d, (list, tuple)):
                raise TypeError("tensordot(): argument 'dims_self' (position 3) must be tuple "
                                f'of ints, not {type(d).__name__}')
        return list(dims_a), list(dims_b)
    if not isinstance(dims, int):
        dims = int(dims)
    if dims < 0:
        raise RuntimeError(f'tensordot expects dims >= 0, but got dims={dims}')
    if dims > min(na, nb):
        raise RuntimeError(f'tensordot expects dims < ndim_a or ndim_b, but got dims={dims}')
    return list(range(-dims, 0)), list(range(dims))


def tensordot(a, b, dims=2, out=None):
    """Sum of products over the dims ``dims[0]`` of ``a`` and ``dims[1]`` of ``b`` (or the
    last ``dims`` of ``a`` with the first ``dims`` of ``b``); free dims of ``a`` come first."""
    _need_tensor('tensordot', 'a', a)
    _need_tensor('tensordot', 'b', b)
    x, y = a._data, b._data
    dims_a, dims_b = _tensordot_dims(dims, x.ndim, y.ndim)
    if len(dims_a) != len(dims_b):
        raise RuntimeError('both dimension lists should have same length')
    if a._dtype is not b._dtype:
        raise RuntimeError('both inputs should have same dtype')
    _same_device(a, b)
    dims_a = list(_layout.normalize_dims(dims_a, x.ndim)) if dims_a else []
    dims_b = list(_layout.normalize_dims(dims_b, y.ndim)) if dims_b else []
    dtype = a._dtype
    sum_a, sum_b = [], []
    csize = 1
    for da, db in zip(dims_a, dims_b):
        s1, s2 = x.shape[da], y.shape[db]
        if s2 == 1:
            sum_a.append(da)       # broadcast contracted dims are summed right away
        elif s1 == 1:
            sum_b.append(db)
        elif s1 != s2:
            raise RuntimeError(f'contracted dimensions need to match, but first has size {s1} '
                               f'in dim {da} and second has size {s2} in dim {db}')
        else:
            csize *= s1
    _no_bool(dtype, 'addmm_impl_cpu_')
    if sum_a:
        x = _sum_keep(x, tuple(sum_a), dtype)
    if sum_b:
        y = _sum_keep(y, tuple(sum_b), dtype)
    free_a = [d for d in range(x.ndim) if d not in dims_a]
    free_b = [d for d in range(y.ndim) if d not in dims_b]
    rsizes = tuple(x.shape[d] for d in free_a) + tuple(y.shape[d] for d in free_b)
    lhs = x.transpose(free_a + dims_a).reshape(_prod(x.shape[d] for d in free_a), csize)
    rhs = y.transpose(dims_b + free_b).reshape(csize, _prod(y.shape[d] for d in free_b))
    data = _compute(np.matmul if csize != 1 else np.multiply, dtype, lhs, rhs).reshape(rsizes)
    result = make_tensor(data, dtype, a._device)
    if _grad_state.enabled and (a._requires_grad or b._requires_grad):
        letters = iter(_LETTERS)
        sub_a = [next(letters) for _ in range(x.ndim)]
        sub_b = [None] * y.ndim
        for da, db in zip(dims_a, dims_b):
            sub_b[db] = sub_a[da]
        sub_b = [c if c is not None else next(letters) for c in sub_b]
        out_sub = ''.join(sub_a[d] for d in free_a) + ''.join(sub_b[d] for d in free_b)
        _record_contraction(Contraction, result, (a, b), (''.join(sub_a), ''.join(sub_b)),
                            out_sub)
    return _out(result, out, 'tensordot') if out is not None else result


def _sum_keep(x, axes, dtype):
    return _contiguous(np.sum(x, axis=axes, keepdims=True, dtype=x.dtype))


def kron(input, other, *, out=None):
    """Kronecker product: blocks ``input[i...] * other`` laid out in a grid (ranks are padded
    with leading size-1 dims to match)."""
    _need_tensor('kron', 'input', input)
    _need_tensor('kron', 'other', other)
    _same_device(input, other)
    if input._dtype is other._dtype:
        dtype = input._dtype
    else:
        from .elementwise import _promote
        dtype = _promote(input, other)
    x = input._data if input._dtype is dtype else input._data.astype(dtype.numpy_dtype)
    y = other._data if other._dtype is dtype else other._data.astype(dtype.numpy_dtype)
    n = max(x.ndim, y.ndim)
    xs = (1,) * (n - x.ndim) + x.shape
    ys = (1,) * (n - y.ndim) + y.shape
    # (a0, b0, a1, b1, ...) products, then merge each pair of dims.
    xa = x.reshape(sum(([s, 1] for s in xs), []))
    ya = y.reshape(sum(([1, s] for s in ys), []))
    data = np.multiply(xa, ya).reshape(tuple(a * b for a, b in zip(xs, ys)))
    result = make_tensor(_contiguous(data), dtype, input._device)
    if _grad_state.enabled and (input._requires_grad or other._requires_grad):
        node = Kron.__new__(Kron)
        node._connect((input, other))
        node.args = ()
        node.save(input if other._requires_grad else None,
                  other if input._requires_grad else None)
        node.pad = (xs, ys)
        attach(node, result)
    return _out(result, out, 'kron') if out is not None else result


class Kron(Op):
    node_name = 'UnsafeViewBackward0'

    def backward(self, grad):
        a, b = self.saved
        xs, ys = self.pad
        n = len(xs)
        inter = []
        for i in range(n):
            inter += [xs[i], ys[i]]
        g = grad.reshape(inter)
        big = _LETTERS[:n]
        small = _LETTERS[26:26 + n]
        both = ''.join(p + q for p, q in zip(big, small))
        ga = gb = None
        if _needs(self, 0):
            ga = einsum(f'{both},{small}->{big}', g, b.conj().reshape(ys)).reshape(
                a._data.shape)
        if _needs(self, 1):
            gb = einsum(f'{both},{big}->{small}', g, a.conj().reshape(xs)).reshape(
                b._data.shape)
        return ga, gb


# ---------------------------------------------------------------------------------------
# einsum
# ---------------------------------------------------------------------------------------
_ELL = 52


def _label_id(c):
    """PyTorch orders labels A-Z before a-z."""
    return ord(c) - 65 if c <= 'Z' else ord(c) - 97 + 26


def _id_letter(i):
    return chr(i + 65) if i < 26 else chr(i - 26 + 97)


def _parse_side(text, offset, what):
    labels = []
    i = 0
    ell = False
    while i < len(text):
        c = text[i]
        if c == ' ':
            pass
        elif c == '.':
            if ell:
                raise RuntimeError(f"einsum(): found '.' for {what} for which an ellipsis was "
                                   'already found' if what.startswith('operand') else
                                   "einsum(): found '.' for output but an ellipsis (...) was "
                                   'already found')
            if text[i:i + 3] != '...':
                raise RuntimeError(f"einsum(): found '.' for {what} that is not part of any "
                                   'ellipsis' if what.startswith('operand') else
                                   "einsum(): found '.' for output that is not part of any "
                                   'ellipsis (...)')
            labels.append(_ELL)
            ell = True
            i += 2
        elif ('a' <= c <= 'z') or ('A' <= c <= 'Z'):
            labels.append(_label_id(c))
        else:
            raise RuntimeError(f'einsum(): invalid subscript given at index {offset + i} in '
                               'the equation string, subscripts must be in [a-zA-Z]')
        i += 1
    return labels


def _einsum_args(args):
    """Accept ``einsum(eq, *ops)``, ``einsum(eq, [ops])`` and the sublist form
    ``einsum(op0, [0, 1], op1, [1, 2], [0, 2])``."""
    if not args:
        raise ValueError('einsum(): must specify the equation string and at least one '
                         'operand, or at least one operand and its subscripts list')
    if isinstance(args[0], str):
        equation, operands = args[0], args[1:]
        if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
            operands = tuple(operands[0])
        if not operands:
            raise ValueError('einsum(): must specify the equation string and at least one '
                             'operand, or at least one operand and its subscripts list')
        return equation, tuple(operands)
    operands = args[0::2][:len(args) // 2]
    subs = args[1::2]
    out = None
    if len(args) % 2 == 1:
        out = args[-1]

    def letters(sub):
        text = ''
        for s in sub:
            if s is Ellipsis:
                text += '...'
            elif isinstance(s, int) and 0 <= s < 52:
                text += chr(97 + s) if s < 26 else chr(65 + s - 26)
            else:
                raise ValueError('einsum(): expected subscript to be within the range [0, 52)')
        return text
    equation = ','.join(letters(s) for s in subs)
    if out is not None:
        equation += '->' + letters(out)
    return equation, tuple(operands)


def _einsum_plan(equation, operands):
    """Parse and check an equation against its operands the way PyTorch does."""
    arrow = equation.find('->')
    lhs = equation if arrow < 0 else equation[:arrow]
    parts = lhs.split(',')
    if len(parts) > len(operands):
        raise RuntimeError('einsum(): fewer operands were provided than specified in the '
                           'equation')
    if len(parts) < len(operands):
        raise RuntimeError('einsum(): more operands were provided than specified in the '
                           'equation')
    op_labels = []
    offset = 0
    for i, part in enumerate(parts):
        op_labels.append(_parse_side(part, offset, f'operand {i}'))
        offset += len(part) + 1
    count = [0] * 52
    ell_num_dim = 0
    for i, (t, labels) in enumerate(zip(operands, op_labels)):
        ndim = t._data.ndim
        nlabels = len(labels)
        has_ell = _ELL in labels
        if has_ell:
            nlabels -= 1
            ell_num_dim = max(ell_num_dim, ndim - nlabels)
        for s in labels:
            if s != _ELL:
                count[s] += 1
        if (nlabels > ndim) if has_ell else (nlabels != ndim):
            raise RuntimeError(
                f'einsum(): the number of subscripts in the equation ({nlabels}) '
                + ('is more than the number of dimensions (' if has_ell else
                   'does not match the number of dimensions (')
                + f'{ndim}) for operand {i}' + ('' if has_ell else ' and no ellipsis was given'))
    perm_index = [-1] * 52
    index = 0
    ell_index = 0
    ell_in_output = False
    out_labels = []
    if arrow < 0:
        index = ell_num_dim
        ell_in_output = True
        out_labels.append(_ELL)
        for s in range(52):
            if count[s] == 1:
                perm_index[s] = index
                index += 1
                out_labels.append(s)
    else:
        rhs = equation[arrow + 2:]
        for s in _parse_side(rhs, arrow + 2, 'output'):
            if s == _ELL:
                ell_index = index
                index += ell_num_dim
                ell_in_output = True
                out_labels.append(_ELL)
                continue
            if count[s] == 0 or perm_index[s] != -1:
                raise RuntimeError(f'einsum(): output subscript {_id_letter(s)} '
                                   + ('appears more than once in the output'
                                      if perm_index[s] != -1 else
                                      'does not appear in the equation for any input operand'))
            perm_index[s] = index
            index += 1
            out_labels.append(s)
    out_num_dim = index
    if not ell_in_output:
        ell_index = index
        index += ell_num_dim
    for s in range(52):
        if count[s] > 0 and perm_index[s] == -1:
            perm_index[s] = index
            index += 1
    return op_labels, out_labels, perm_index, ell_num_dim, ell_index, out_num_dim, index


def _diagonal_view(arr, d1, d2):
    """The diagonal of dims ``d1 < d2`` as a writable view, placed at ``d1``."""
    shape = list(arr.shape)
    strides = list(arr.strides)
    n = min(shape[d1], shape[d2])
    stride = strides[d1] + strides[d2]
    del shape[d2], strides[d2]
    shape[d1] = n
    strides[d1] = stride
    return np.lib.stride_tricks.as_strided(arr, tuple(shape), tuple(strides))


def _einsum_align(operands, plan):
    """Each operand's array with its dims permuted (diagonals taken for repeated labels,
    size-1 dims added for missing ones) to the common order: output dims, then contracted.
    Returns (array, PyTorch strides) pairs: NumPy may stride size-1 dims differently."""
    op_labels, _, perm_index, ell_num_dim, ell_index, _, total = plan
    label_size = [1] * 52
    ell_sizes = [1] * ell_num_dim
    dim_counts = [0] * total
    aligned = []
    for i, t in enumerate(operands):
        arr = t._data
        strides = list(t.stride())
        permutation = [-1] * total
        dim = 0
        labels = op_labels[i]
        for s in labels:
            if s == _ELL:
                covered = t._data.ndim - (len(labels) - 1)
                for j in range(ell_num_dim - covered, ell_num_dim):
                    size = arr.shape[dim]
                    if size != 1:
                        if ell_sizes[j] != 1 and ell_sizes[j] != size:
                            raise RuntimeError(
                                f'einsum(): dimension {dim} covered by ellipsis in operand {i}'
                                f'has size {size} which does not broadcast with previously '
                                f'seen ellipsis with size {ell_sizes[j]} for the respective '
                                'dimension')
                        ell_sizes[j] = size
                        dim_counts[ell_index + j] += 1
                    permutation[ell_index + j] = dim
                    dim += 1
            elif permutation[perm_index[s]] == -1:
                size = arr.shape[dim]
                if size != 1:
                    if label_size[s] != 1 and label_size[s] != size:
                        raise RuntimeError(
                            f'einsum(): subscript {_id_letter(s)} has size {size} for operand '
                            f'{i} which does not broadcast with previously seen size '
                            f'{label_size[s]}')
                    label_size[s] = size
                    dim_counts[perm_index[s]] += 1
                permutation[perm_index[s]] = dim
                dim += 1
            else:
                prev = permutation[perm_index[s]]
                if arr.shape[dim] != arr.shape[prev]:
                    raise RuntimeError(
                        f'einsum(): subscript {_id_letter(s)} is repeated for operand {i} but '
                        f"the sizes don't match, {arr.shape[dim]} != {arr.shape[prev]}")
                arr = _diagonal_view(arr, prev, dim)
                strides[prev] += strides[dim]
                del strides[dim]
        for k, val in enumerate(permutation):
            if val == -1:
                strides.insert(dim, arr.shape[dim] * strides[dim] if dim < arr.ndim else 1)
                arr = np.expand_dims(arr, dim)
                permutation[k] = dim
                dim += 1
        aligned.append((arr.transpose(permutation), [strides[p] for p in permutation]))
    return aligned, dim_counts


def _sum_keep_strided(x, axes, dtype):
    """A keepdim sum; PyTorch allocates it contiguous."""
    out = _sum_keep(x, axes, dtype)
    return out, list(_layout.contiguous_strides(out.shape))


def _iterator_strides(shape, operands):
    """The strides PyTorch's TensorIterator gives the output of an elementwise op on
    ``operands`` ((shape, strides) pairs broadcast to ``shape``): dims sorted by the inputs'
    strides, broadcast dims ambiguous, ties broken by size."""
    ndim = len(shape)
    if ndim <= 1:
        return list(_layout.contiguous_strides(shape))
    if all(tuple(op_shape) == tuple(shape) for op_shape, _ in operands):
        # PyTorch's fast set-up: same-shape contiguous (or identically dense) operands.
        if all(_layout.is_contiguous(shape, st) for _, st in operands):
            return list(_layout.contiguous_strides(shape))
        first = list(operands[0][1])
        if all(list(st) == first for _, st in operands) and _is_dense(shape, first):
            return first
    perm = _layout.iteration_order(shape, operands)
    if perm == list(range(ndim - 1, -1, -1)):
        return list(_layout.contiguous_strides(shape))
    strides = [0] * ndim
    acc = 1
    for d in perm:
        strides[d] = acc
        acc *= shape[d]
    return strides


_is_dense = _layout.is_non_overlapping_and_dense


def _strided_empty(shape, strides, np_dtype):
    """An uninitialised array with the given element strides (a dense permuted layout)."""
    order = sorted(range(len(shape)), key=lambda d: (strides[d], -d), reverse=True)
    buf = np.empty([shape[d] for d in order], dtype=np_dtype)
    inverse = [0] * len(order)
    for i, d in enumerate(order):
        inverse[d] = i
    return buf.transpose(inverse)


def _sum_product_pair(left, right, sum_dims, dtype):
    """``(left * right).sum(sum_dims, keepdim=True)`` through one batched GEMM, laid out as
    PyTorch lays it out (the result is a permuted view of the GEMM's output). Operands and
    result are (array, PyTorch strides) pairs."""
    (larr, lst), (rarr, rst) = left, right
    if not sum_dims:
        shape = np.broadcast_shapes(larr.shape, rarr.shape)
        strides = _iterator_strides(shape, [(larr.shape, lst), (rarr.shape, rst)])
        np_dtype = larr.dtype if dtype not in _HALF else _f32
        out = _strided_empty(shape, strides, np_dtype)
        if dtype in _HALF:
            np.multiply(larr.astype(_f32), rarr.astype(_f32), out=out)
            out = out.astype(dtype.numpy_dtype, order='K')
        else:
            np.multiply(larr, rarr, out=out)
        return out, strides
    ndim = larr.ndim
    is_sum = [False] * ndim
    for d in sum_dims:
        is_sum[d] = True
    lro, lo, ro = [], [], []
    lro_size = lo_size = ro_size = sum_size = 1
    for i in range(ndim):
        sl = larr.shape[i] != 1
        sr = rarr.shape[i] != 1
        if is_sum[i]:
            if sl and sr:
                sum_size *= larr.shape[i]
            elif sl:
                larr = _sum_keep(larr, (i,), dtype)
            elif sr:
                rarr = _sum_keep(rarr, (i,), dtype)
        elif sl and sr:
            lro.append(i)
            lro_size *= larr.shape[i]
        elif sl:
            lo.append(i)
            lo_size *= larr.shape[i]
        else:
            ro.append(i)
            ro_size *= rarr.shape[i]
    if lo and ro and ro[-1] < lo[0]:
        # PyTorch swaps the operands here so that the GEMM writes the output's order.
        larr, rarr, lo, ro = rarr, larr, ro, lo
        lo_size, ro_size = ro_size, lo_size
    out_size = [larr.shape[d] for d in lro] + [larr.shape[d] for d in lo] + \
        [1] * len(sum_dims) + [rarr.shape[d] for d in ro]
    lperm = lro + lo + list(sum_dims) + ro
    rperm = lro + list(sum_dims) + ro + lo
    operm = [0] * len(out_size)
    for i, d in enumerate(lro + lo + list(sum_dims) + ro):
        operm[d] = i
    _no_bool(dtype, 'bmm')
    lhs = larr.transpose(lperm).reshape(lro_size, lo_size, sum_size)
    rhs = rarr.transpose(rperm).reshape(lro_size, sum_size, ro_size)
    product = _contiguous(_compute(np.matmul, dtype, lhs, rhs))
    gemm_shape = (lro_size, lo_size, ro_size)
    viewed = _layout.view_strides(gemm_shape, _layout.contiguous_strides(gemm_shape), out_size)
    return product.reshape(out_size).transpose(operm), [viewed[p] for p in operm]


def einsum(*args):
    """Einstein summation: ``einsum('ij,jk->ik', a, b)`` is ``a @ b``.

    Subscripts are letters (``A-Z``, ``a-z``); ``...`` stands for broadcast dims; a label
    repeated in one operand takes its diagonal; labels missing from the output (after ``->``,
    or labels seen once, in order, when there is no arrow) are summed. Size-1 dims broadcast.
    Operands are contracted pairwise from the left with batched GEMMs, as PyTorch does (and
    the result is laid out as PyTorch's is).
    """
    equation, operands = _einsum_args(args)
    for t in operands:
        if not isinstance(t, Tensor):
            raise TypeError(f'einsum(): operands must be Tensors, not {type(t).__name__}')
    dtype = operands[0]._dtype
    for t in operands[1:]:
        if t._dtype is not dtype:
            raise _scalar_type_error(dtype, t._dtype)
        _same_device(operands[0], t)
    plan = _einsum_plan(equation, operands)
    op_labels, out_labels, perm_index, ell_num_dim, ell_index, out_num_dim, total = plan
    ops, dim_counts = _einsum_align(operands, plan)
    while len(ops) > 1:
        a, b = ops[0], ops[1]
        del ops[:2]
        sum_dims, a_sum, b_sum = [], [], []
        for d in range(out_num_dim, total):
            if a[0].shape[d] != 1 and b[0].shape[d] != 1:
                dim_counts[d] -= 1
                if dim_counts[d] == 1:
                    sum_dims.append(d)
                    dim_counts[d] = 0
            elif dim_counts[d] == 1:
                if a[0].shape[d] != 1:
                    a_sum.append(d)
                    dim_counts[d] = 0
                elif b[0].shape[d] != 1:
                    b_sum.append(d)
                    dim_counts[d] = 0
        if a_sum:
            a = _sum_keep_strided(a[0], tuple(a_sum), dtype)
        if b_sum:
            b = _sum_keep_strided(b[0], tuple(b_sum), dtype)
        ops.insert(0, _sum_product_pair(a, b, sum_dims, dtype))
    result_arr, strides = ops[0]
    contracted = total > out_num_dim
    view_of = None
    if len(operands) > 1:
        cls = Contraction if contracted else ContractionMul
        if contracted:
            shape = result_arr.shape
            strides = _layout.view_strides(shape, strides, shape[:out_num_dim])
            result_arr = np.squeeze(result_arr, axis=tuple(range(out_num_dim, total)))
    elif contracted:
        cls = ContractionSum
        result_arr = _contiguous(np.sum(result_arr, axis=tuple(
            range(out_num_dim, total)), dtype=result_arr.dtype))
        strides = _layout.contiguous_strides(result_arr.shape)
    else:
        cls = ContractionPermute
        view_of = operands[0]
    if view_of is not None:
        from .._tensor import make_view
        result = make_view(view_of, result_arr, tuple(strides))
    else:
        if not result_arr.flags.writeable:
            result_arr = result_arr.copy(order='K')
        result = make_tensor(result_arr, dtype, operands[0]._device)
        result._stride = tuple(strides)
    if _grad_state.enabled and any(t._requires_grad for t in operands):
        subs, out_sub = _explicit_subscripts(plan, operands)
        _record_contraction(cls, result, operands, subs, out_sub)
    return result


def _explicit_subscripts(plan, operands):
    """Letter subscripts for backward: ellipsis dims get letters of their own."""
    op_labels, out_labels, _, ell_num_dim, _, _, _ = plan
    used = set()
    for labels in op_labels:
        used.update(s for s in labels if s != _ELL)
    free = [c for c in _LETTERS if _label_id(c) not in used]
    if len(free) < ell_num_dim:
        raise RuntimeError('einsum(): too many dimensions to differentiate')
    ell_letters = ''.join(free[:ell_num_dim])
    subs = []
    for t, labels in zip(operands, op_labels):
        text = ''
        for s in labels:
            if s == _ELL:
                covered = t._data.ndim - (len(labels) - 1)
                text += ell_letters[ell_num_dim - covered:]
            else:
                text += _id_letter(s)
        subs.append(text)
    out = ''.join(ell_letters if s == _ELL else _id_letter(s) for s in out_labels)
    return tuple(subs), out


def _fresh(used, count):
    free = [c for c in _LETTERS if c not in used]
    if len(free) < count:
        raise RuntimeError('einsum(): too many dimensions to differentiate')
    return free[:count]


def _einsum_grad(grad, out_sub, subs, operands, i, shape):
    """Gradient of a contraction for operand ``i`` (of ``shape``), itself as einsums."""
    target = subs[i]
    others = [j for j in range(len(subs)) if j != i]
    present = set(out_sub)
    for j in others:
        present.update(subs[j])
    uniq = ''.join(dict.fromkeys(target))
    keep = ''.join(c for c in uniq if c in present)
    eq = ','.join([out_sub] + [subs[j] for j in others]) + '->' + keep
    g = einsum(eq, grad, *[operands[j].conj() for j in others])
    sizes = {}
    for c, s in zip(target, shape):
        sizes[c] = s
    if len(keep) != len(uniq):
        # Labels only this operand has were summed: the gradient spreads along them.
        kept = iter(g._data.shape)
        g = g.reshape(tuple(next(kept) if c in present else 1 for c in uniq))
        g = g.expand(tuple(-1 if c in present else sizes[c] for c in uniq))
    g = _fit(g, tuple(sizes[c] for c in uniq))
    if len(uniq) != len(target):
        # Repeated labels took a diagonal: put the gradient back on it.
        used = set(target) | set(out_sub)
        for j in others:
            used.update(subs[j])
        seen = set()
        full = ''
        pairs = []
        fresh = iter(_fresh(used, len(target) - len(uniq)))
        for c in target:
            if c in seen:
                f = next(fresh)
                pairs.append(c + f)
                full += f
            else:
                seen.add(c)
                full += c
        eyes = [_eye_like(g, sizes[p[0]]) for p in pairs]
        g = einsum(uniq + ',' + ','.join(pairs) + '->' + full, g, *eyes)
    return _fit(g, shape)


def _eye_like(t, n):
    return make_tensor(np.eye(n, dtype=t._data.dtype), t._dtype, t._device)


def _fit(g, shape):
    """Expand size-1 dims of a gradient where the input had more (the engine then sums any
    remaining broadcast dims away)."""
    gs = g._data.shape
    target = list(gs)
    changed = False
    for k in range(1, min(len(gs), len(shape)) + 1):
        if gs[-k] == 1 and shape[-k] != 1:
            target[-k] = shape[-k]
            changed = True
    return g.expand(target) if changed else g


# ---------------------------------------------------------------------------------------
# cross, cdist
# ---------------------------------------------------------------------------------------
class LinalgCross(Op):
    node_name = 'LinalgCrossBackward0'

    def backward(self, grad):
        a, b = self.saved
        dim = self.args[0]
        return (_cross(b.conj(), grad, dim) if _needs(self, 0) else None,
                _cross(grad, a.conj(), dim) if _needs(self, 1) else None)


def _cross(input, other, dim, default=False):
    _need_tensor('cross', 'input', input)
    _need_tensor('cross', 'other', other)
    sa, sb = input._data.shape, other._data.shape
    if len(sa) != len(sb):
        raise RuntimeError('linalg.cross: inputs must have the same number of dimensions.')
    if input._dtype is not other._dtype:
        raise _scalar_type_error(input._dtype, other._dtype)
    _same_device(input, other)
    shape = _layout.broadcast_shapes(sa, sb)
    if default:
        for d, s in enumerate(sa):
            if s == 3:
                dim = d
                break
        else:
            raise RuntimeError('no dimension of size 3 in input')
    d = _layout.normalize_dim(dim, len(shape))
    if sa[d] != 3 or sb[d] != 3:
        raise RuntimeError(f'linalg.cross: inputs dimension {dim} must have length 3. Got '
                           f'{sa[d]} and {sb[d]}')
    dtype = input._dtype
    _no_bool(dtype, 'cross')
    data = _compute(lambda x, y: np.cross(x, y, axis=d), dtype, input._data, other._data)
    result = make_tensor(_contiguous(data), dtype, input._device)
    if _grad_state.enabled and (input._requires_grad or other._requires_grad):
        _record_pair(LinalgCross, result, input, other, (d,))
    return result


def cross(input, other, dim=None, *, out=None):
    """Cross product of 3-vectors along ``dim`` (by default, with a warning, the first dim of
    size 3). Shapes broadcast; both must have the same rank."""
    if dim is None:
        import warnings
        warnings.warn('Using torch.cross without specifying the dim arg is deprecated.\n'
                      'Please either pass the dim explicitly or simply use torch.linalg.cross.'
                      '\nThe default value of dim will change to agree with that of '
                      'linalg.cross in a future release.', UserWarning, stacklevel=2)
        result = _cross(input, other, None, default=True)
    else:
        result = _cross(input, other, dim)
    return _out(result, out, 'cross') if out is not None else result


class Cdist(Op):
    node_name = 'CdistBackward0'
    save_args = (0, 1)
    save_output = True

    def backward(self, grad):
        x1, x2 = self.saved
        p = self.args[2]
        dist = self.output.detach() if not _grad_state.enabled else self.output
        return _cdist_grads(self, grad, x1, x2, dist, p)


class CdistMM(Cdist):
    node_name = 'ViewBackward0'     # PyTorch's matmul-based euclidean path ends with a view


def _cdist_grads(node, grad, x1, x2, dist, p):
    from .indexing import where
    zero = dist == 0
    if p == 0:
        return (x1 * 0 if _needs(node, 0) else None, x2 * 0 if _needs(node, 1) else None)
    if p == 2:
        # Sum_j w_ij (x1_i - x2_j) with w = grad / dist, as two products (no r1*r2*m buffer).
        w = where(zero, 0.0, grad / where(zero, 1.0, dist))
        g1 = x1 * w.sum(-1, keepdim=True) - matmul(w, x2) if _needs(node, 0) else None
        g2 = x2 * w.sum(-2).unsqueeze(-1) - matmul(w.mT, x1) if _needs(node, 1) else None
        return g1, g2
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    d = dist.unsqueeze(-1)
    if p == 1:
        s = diff.sign()
    elif math.isinf(p):
        s = diff.sign() * (diff.abs() == d)
    else:
        safe = where(d == 0, 1.0, d)
        s = diff.sign() * diff.abs().pow(p - 1) / safe.pow(p - 1)
        s = where(d == 0, 0.0, s)
    g = grad.unsqueeze(-1) * s
    return (g.sum(-2) if _needs(node, 0) else None,
            -g.sum(-3) if _needs(node, 1) else None)


_CDIST_MODES = ('use_mm_for_euclid_dist_if_necessary', 'use_mm_for_euclid_dist',
                'donot_use_mm_for_euclid_dist')


def cdist(x1, x2, p=2.0, compute_mode='use_mm_for_euclid_dist_if_necessary'):
    """p-norm distances between each row of ``x1`` (``(..., r1, m)``) and each row of ``x2``
    (``(..., r2, m)``), giving ``(..., r1, r2)``; batch dims broadcast. For ``p=2`` with more
    than 25 rows the distances come from matrix products, as PyTorch computes them."""
    _need_tensor('cdist', 'x1', x1)
    _need_tensor('cdist', 'x2', x2)
    if compute_mode not in _CDIST_MODES:
        raise ValueError(f'{compute_mode} is not a valid value for compute_mode')
    a, b = x1._data, x2._data
    if a.ndim < 2:
        raise RuntimeError(f'cdist only supports at least 2D tensors, X1 got: {a.ndim}D')
    if b.ndim < 2:
        raise RuntimeError(f'cdist only supports at least 2D tensors, X2 got: {b.ndim}D')
    if not x1._dtype.is_floating_point:
        raise RuntimeError(f'cdist only supports floating-point dtypes, X1 got: '
                           f'{_type_name(x1._dtype)}')
    if not x2._dtype.is_floating_point:
        raise RuntimeError(f'cdist only supports floating-point dtypes, X2 got: '
                           f'{_type_name(x2._dtype)}')
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(f'X1 and X2 must have the same number of columns. X1: '
                           f'{a.shape[-1]} X2: {b.shape[-1]}')
    if p < 0:
        raise RuntimeError('cdist only supports non-negative p values')
    if x1._dtype is not x2._dtype:
        raise _scalar_type_error(x1._dtype, x2._dtype)
    _same_device(x1, x2)
    if x1._dtype in _HALF:
        raise NotImplementedError(f'"cdist" not implemented for \'{_type_name(x1._dtype)}\'')
    batch = _layout.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    r1, r2 = a.shape[-2], b.shape[-2]
    p = float(p)
    use_mm = p == 2 and (compute_mode == 'use_mm_for_euclid_dist' or (
        compute_mode == _CDIST_MODES[0] and (r1 > 25 or r2 > 25)))
    if use_mm:
        n1 = np.sum(a * a, axis=-1, keepdims=True)
        n2 = np.sum(b * b, axis=-1, keepdims=True)
        sq = n1 - 2 * np.matmul(a, np.swapaxes(b, -1, -2)) + np.swapaxes(n2, -1, -2)
        data = np.sqrt(np.maximum(sq, 0))
        cls = CdistMM
    else:
        diff = np.abs(a[..., :, None, :] - b[..., None, :, :])
        if p == 0:
            data = np.count_nonzero(diff, axis=-1).astype(a.dtype)
        elif p == 1:
            data = np.sum(diff, axis=-1)
        elif p == 2:
            data = np.sqrt(np.sum(diff * diff, axis=-1))
        elif math.isinf(p):
            data = np.max(diff, axis=-1, initial=0)
        else:
            data = np.sum(diff ** p, axis=-1) ** (1 / p)
        cls = Cdist
    data = _contiguous(np.broadcast_to(data, batch + (r1, r2)), dtype=a.dtype)
    result = make_tensor(data, x1._dtype, x1._device)
    if _grad_state.enabled and (x1._requires_grad or x2._requires_grad):
        node = cls.__new__(cls)
        node._connect((x1, x2))
        node.args = (None, None, p)
        node.save(x1, x2)
        attach(node, result, True)
    return result


# ---------------------------------------------------------------------------------------
# legacy top-level spellings of ember.linalg functions
# ---------------------------------------------------------------------------------------
def _linalg():
    from .. import linalg
    return linalg


def chain_matmul(*matrices, out=None):
    """Product of 2-D matrices in the cheapest order (deprecated: use ``linalg.multi_dot``)."""
    if len(matrices) == 1 and isinstance(matrices[0], (list, tuple)):
        matrices = tuple(matrices[0])
    if len(matrices) == 1:
        result = matrices[0].clone()
    else:
        result = _linalg().multi_dot(matrices)
    return _out(result, out, 'chain_matmul') if out is not None else result


def det(input):
    """Determinant of square matrices (``linalg.det``)."""
    return _linalg().det(input)


def inverse(input, *, out=None):
    """Inverse of square matrices (``linalg.inv``)."""
    return _linalg().inv(input, out=out)


def cholesky(input, upper=False, *, out=None):
    """Cholesky factor of symmetric positive-definite matrices (lower, or upper with
    ``upper=True``); deprecated in PyTorch in favour of ``linalg.cholesky``."""
    return _linalg()._cholesky_legacy(input, upper, out)


def svd(input, some=True, compute_uv=True, *, out=None):
    """PyTorch's old SVD: returns ``(U, S, V)`` (V, not Vh); ``some`` keeps the reduced
    factors; without ``compute_uv``, U and V are zero matrices."""
    return _linalg()._svd_legacy(input, some, compute_uv)


def qr(input, some=True, *, out=None):
    """QR factorisation (``linalg.qr`` with mode 'reduced', or 'complete' when ``some`` is
    False), returned as ``ember.return_types.qr``."""
    return _linalg()._qr_legacy(input, some)


def slogdet(input):
    """Sign and log absolute value of the determinant (``ember.return_types.slogdet``)."""
    return _linalg()._slogdet_legacy(input)


def logdet(input):
    """Log of the determinant: NaN for negative determinants, -inf for singular matrices."""
    return _linalg()._logdet(input)


def pinverse(input, rcond=1e-15):
    """Pseudo-inverse (``linalg.pinv`` with ``rtol=rcond``)."""
    return _linalg().pinv(input, rtol=rcond)


def matrix_power(input, n):
    """``input`` multiplied by itself ``n`` times (``n < 0`` inverts first)."""
    return _linalg().matrix_power(input, n)


# ---------------------------------------------------------------------------------------
# methods
# ---------------------------------------------------------------------------------------
def _attach_methods():
    from .elementwise import inplace
    for name in ('mm', 'bmm', 'dot', 'vdot', 'mv', 'matmul', 'addmm', 'addmv', 'addbmm',
                 'baddbmm', 'outer', 'ger', 'inner', 'kron', 'det', 'inverse', 'cholesky',
                 'svd', 'qr', 'slogdet', 'logdet', 'pinverse', 'matrix_power'):
        setattr(Tensor, name, globals()[name])
    for name in ('addmm', 'addmv', 'addbmm', 'baddbmm'):
        setattr(Tensor, name + '_', inplace(globals()[name]))
    Tensor.cross = lambda self, other, dim=None: cross(self, other, dim)
    Tensor.__matmul__ = _matmul_op
    Tensor.__rmatmul__ = _rmatmul_op


def _matmul_op(self, other):
    if not isinstance(other, Tensor):
        if isinstance(other, np.ndarray):
            return _numpy_product(self, other)
        return NotImplemented
    return matmul(self, other)


def _numpy_product(tensor, array):
    """``tensor @ ndarray``: PyTorch lets NumPy compute it (with NumPy's type promotion) and
    wraps the result as a tensor."""
    from .creation import as_tensor
    if tensor._requires_grad:
        raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                           "tensor.detach().numpy() instead.")
    return as_tensor(np.matmul(tensor._host_array(), array), device=tensor._device)


def _rmatmul_op(self, other):
    if not isinstance(other, Tensor):
        return NotImplemented
    return matmul(other, self)


_attach_methods()
