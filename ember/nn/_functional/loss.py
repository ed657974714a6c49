"""nn.functional: losses.

Losses PyTorch computes in one kernel (``MseLossBackward0``, ``NllLossBackward0``,
``BinaryCrossEntropyBackward0``...) are fused ``Op``s here: forward on arrays, backward in
ember tensor ops (so double backward works). The others compose ember ops in the same
order PyTorch does, so their graphs end in the same nodes (``MeanBackward0``...).
``cross_entropy`` is ``log_softmax`` then ``nll_loss``: the two nodes PyTorch shows.
"""
import math
import warnings

import numpy as np

from ... import _dtype as dt
from ..._tensor import Tensor, make_tensor
from ...autograd import grad_mode
from ...autograd.function import Op
from ..._ops.elementwise import _type_name
from ..._ops.indexing import where
from .activation import LogSoftmax, log_softmax, logsigmoid, _softmax_run
from .distance import pairwise_distance, is_half

__all__ = ['l1_loss', 'mse_loss', 'smooth_l1_loss', 'huber_loss', 'cross_entropy', 'nll_loss',
           'binary_cross_entropy', 'binary_cross_entropy_with_logits', 'kl_div',
           'poisson_nll_loss', 'gaussian_nll_loss', 'margin_ranking_loss',
           'hinge_embedding_loss', 'triplet_margin_loss', 'triplet_margin_with_distance_loss',
           'cosine_embedding_loss', 'multilabel_soft_margin_loss', 'multi_margin_loss',
           'soft_margin_loss', 'multilabel_margin_loss', 'ctc_loss']

_grad_state = grad_mode.state
_ndarray = np.ndarray
_F32 = np.float32


# ---------------------------------------------------------------------------------------
# reductions
# ---------------------------------------------------------------------------------------
def _legacy_reduction(size_average, reduce, emit_warning=True):
    """PyTorch's mapping of the deprecated ``size_average``/``reduce`` flags."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    result = 'mean' if size_average and reduce else 'sum' if reduce else 'none'
    if emit_warning:
        warnings.warn(f"size_average and reduce args will be deprecated, please use "
                      f"reduction='{result}' instead.", stacklevel=3)
    return result


def _reduction(reduction, size_average=None, reduce=None):
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    if reduction not in ('none', 'mean', 'sum'):
        raise ValueError(f'{reduction} is not a valid value for reduction')
    return reduction


def _reduce(loss, reduction):
    """Apply a reduction to an ember tensor of elementwise losses."""
    if reduction == 'mean':
        return loss.mean()
    if reduction == 'sum':
        return loss.sum()
    return loss


def _reduce_array(loss, reduction, np_dtype):
    if reduction == 'none':
        return np.asarray(loss).astype(np_dtype, copy=False)
    if reduction == 'sum':
        return np.asarray(np.sum(loss), dtype=np_dtype)
    if loss.size == 0:
        return np.asarray(np.nan, dtype=np_dtype)
    return np.asarray(np.mean(loss), dtype=np_dtype)


def _size_warning(input, target):
    if input._data.shape != target._data.shape:
        warnings.warn(f'Using a target size ({target.size()}) that is different to the input '
                      f'size ({input.size()}). This will likely lead to incorrect results due '
                      'to broadcasting. Please ensure they have the same size.', stacklevel=3)


def _broadcast_shape(a, b):
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


class DivScalar(Op):
    """``tensor / number`` as PyTorch's C++ losses compute it (``DivBackward1``)."""
    node_name = 'DivBackward1'

    @staticmethod
    def forward(ctx, x, divisor):
        return np.asarray(np.true_divide(x, divisor)).astype(x.dtype, copy=False)

    def backward(self, grad):
        return (grad / self.args[1],)


class ClampMin(Op):
    """``clamp_min(x, value)`` (``ClampMinBackward0``)."""
    node_name = 'ClampMinBackward0'
    save_args = (0,)

    @staticmethod
    def forward(ctx, x, value):
        return np.asarray(np.maximum(x, x.dtype.type(value)))

    def backward(self, grad):
        return (grad * (self.saved[0] >= self.args[1]),)


def _clamp_min(x, value):
    return ClampMin.apply(x, value)


# ---------------------------------------------------------------------------------------
# fused elementwise losses: mse, smooth_l1, huber, soft_margin
# ---------------------------------------------------------------------------------------
class PointwiseLoss(Op):
    """A loss of ``input`` and ``target`` computed elementwise, then reduced.

    ``loss(x, y, *params)`` works on arrays; ``derivative(x, y, *params)`` gives d loss/dx as
    an ember tensor (d loss/dy is its negative for the losses here).
    """
    save_args = (0, 1)

    @classmethod
    def forward(cls, ctx, x, y, np_dtype, reduction, *params):
        if is_half(np_dtype):
            loss = cls.loss(x.astype(_F32), y.astype(_F32), *params)
        else:
            loss = cls.loss(x.astype(np_dtype, copy=False), y.astype(np_dtype, copy=False),
                            *params)
        return _reduce_array(loss, reduction, np_dtype)

    def backward(self, grad):
        x, y = self.saved
        reduction = self.args[3]
        d = self.derivative(x, y, *self.args[4:])
        if reduction == 'mean' and d.numel():
            d = d / d.numel()
        g = grad * d
        return (g if self.next_functions[0][0] is not None else None,
                -g if self.next_functions[1][0] is not None else None)


class MseLoss(PointwiseLoss):
    node_name = 'MseLossBackward0'

    @staticmethod
    def loss(x, y):
        d = x - y
        return d * d

    @staticmethod
    def derivative(x, y):
        return 2 * (x - y)


class SmoothL1Loss(PointwiseLoss):
    node_name = 'SmoothL1LossBackward0'

    @staticmethod
    def loss(x, y, beta):
        z = np.abs(x - y)
        t = z.dtype.type
        return np.where(z < t(beta), t(0.5) * z * z / t(beta), z - t(0.5 * beta))

    @staticmethod
    def derivative(x, y, beta):
        d = x - y
        return where(d < -beta, -1.0, where(d > beta, 1.0, d / beta))


class HuberLoss(PointwiseLoss):
    node_name = 'HuberLossBackward0'

    @staticmethod
    def loss(x, y, delta):
        z = np.abs(x - y)
        t = z.dtype.type
        return np.where(z < t(delta), t(0.5) * z * z, t(delta) * (z - t(0.5 * delta)))

    @staticmethod
    def derivative(x, y, delta):
        d = x - y
        return where(d < -delta, -float(delta), where(d > delta, float(delta), d))


def _float_kernel(input, dtype, kernel):
    if not dtype.is_floating_point:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_type_name(dtype)}\'')


def _check_tensors(name, *tensors):
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            arg = ('input', 'target')[i] if i < 2 else 'weight'
            raise TypeError(f"{name}(): argument '{arg}' (position {i + 1}) must be Tensor, "
                            f'not {type(t).__name__}')


def _weighted(unweighted, weight, input, reduction):
    """The ``weight=`` path of l1/mse/huber: elementwise loss times weight, then reduced."""
    if weight.shape != input.shape:
        raise ValueError('Weights and input must have the same size.')
    weighted = unweighted * weight
    if reduction == 'none':
        return weighted
    if reduction == 'sum':
        return weighted.sum()
    return weighted.sum() / weight.sum()


def mse_loss(input, target, size_average=None, reduce=None, reduction='mean', weight=None):
    """Mean squared error ``(input - target)^2``, reduced."""
    _check_tensors('mse_loss', input, target)
    _size_warning(input, target)
    reduction = _reduction(reduction, size_average, reduce)
    _broadcast_shape(input._data.shape, target._data.shape)
    dtype = dt.promote_types(input._dtype, target._dtype)
    _float_kernel(input, dtype, 'mse_cpu')
    if weight is not None:
        if weight.shape != input.shape:
            raise ValueError('Weights and input must have the same size.')
        return _weighted((input - target).pow(2), weight, input, reduction)
    return MseLoss.apply(input, target, dtype.numpy_dtype, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction='mean', weight=None):
    """Mean absolute error ``|input - target|``, reduced."""
    _check_tensors('l1_loss', input, target)
    _size_warning(input, target)
    reduction = _reduction(reduction, size_average, reduce)
    if weight is not None:
        if weight.shape != input.shape:
            raise ValueError('Weights and input must have the same size.')
        return _weighted((input - target).abs(), weight, input, reduction)
    return _reduce((input - target).abs(), reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction='mean', beta=1.0):
    """Squared error below ``beta`` (scaled by ``1/beta``), absolute error above."""
    _check_tensors('smooth_l1_loss', input, target)
    _size_warning(input, target)
    reduction = _reduction(reduction, size_average, reduce)
    if beta == 0.0:
        return l1_loss(input, target, reduction=reduction)
    if beta < 0:
        raise RuntimeError('smooth_l1_loss does not support negative values for beta.')
    _broadcast_shape(input._data.shape, target._data.shape)
    dtype = dt.promote_types(input._dtype, target._dtype)
    _float_kernel(input, dtype, 'smooth_l1_cpu')
    return SmoothL1Loss.apply(input, target, dtype.numpy_dtype, reduction, float(beta))


def huber_loss(input, target, reduction='mean', delta=1.0, weight=None):
    """Squared error below ``delta``, ``delta``-scaled absolute error above."""
    _check_tensors('huber_loss', input, target)
    _size_warning(input, target)
    _broadcast_shape(input._data.shape, target._data.shape)
    if delta <= 0:
        raise RuntimeError('huber_loss does not support non-positive values for delta.')
    _float_kernel(input, input._dtype, 'huber_cpu')
    if weight is not None:
        if weight.shape != input.shape:
            raise ValueError('Weights and input must have the same size.')
        if reduction not in ('none', 'mean', 'sum'):
            raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', "
                             "'mean', 'sum'.")
        unweighted = HuberLoss.apply(input, target, input._dtype.numpy_dtype, 'none',
                                     float(delta))
        weighted = unweighted * weight
        return weighted.mean() if reduction == 'mean' else _reduce(weighted, reduction)
    reduction = _reduction(reduction)
    return HuberLoss.apply(input, target, input._dtype.numpy_dtype, reduction, float(delta))


class SoftMarginLoss(Op):
    node_name = 'SoftMarginLossBackward0'
    save_args = (0,)

    @staticmethod
    def forward(ctx, x, y, reduction):
        work = x.astype(_F32) if is_half(x.dtype) else x
        z = -work * y.astype(work.dtype, copy=False)
        loss = np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))
        return _reduce_array(loss, reduction, x.dtype)

    def backward(self, grad):
        x = self.saved[0]
        y, reduction = self.args[1], self.args[2]
        yt = make_tensor(np.asarray(y).astype(x._data.dtype), x._dtype, x._device)
        d = -yt * (-yt * x).sigmoid()
        if reduction == 'mean':
            d = d / max(x.numel(), 1)
        return (grad * d,)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction='mean'):
    """``log(1 + exp(-target * input))``, reduced (targets are +1/-1)."""
    _check_tensors('soft_margin_loss', input, target)
    reduction = _reduction(reduction, size_average, reduce)
    if target.requires_grad and grad_mode.state.enabled:
        raise RuntimeError("The function 'soft_margin_loss' is not differentiable with respect "
                           "to argument 'target'. This input cannot have requires_grad True.")
    _broadcast_shape(input._data.shape, target._data.shape)
    if not input._dtype.is_floating_point:
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f'{_type_name(input._dtype)}')
    return SoftMarginLoss.apply(input, target._data, reduction)


# ---------------------------------------------------------------------------------------
# nll_loss and cross_entropy
# ---------------------------------------------------------------------------------------
class NllLoss(Op):
    """Negative log likelihood of the target classes, class dim 1 (or 0 for a 1-D input)."""
    node_name = 'NllLossBackward0'

    @staticmethod
    def forward(ctx, x, target, weight, reduction, ignore_index):
        one_d = x.ndim == 1
        x2 = x[None] if one_d else x
        t2 = target.reshape(1) if one_d else target
        n_classes = x2.shape[1]
        valid = t2 != ignore_index
        all_valid = bool(valid.all())
        if t2.size:
            bad = valid & ((t2 < 0) | (t2 >= n_classes))
            if bad.any():
                raise IndexError(f'Target {int(t2[bad][0])} is out of bounds.')
        safe = t2 if all_valid else np.where(valid, t2, 0)
        if safe.dtype != np.int64:
            safe = safe.astype(np.int64)
        work = x2.astype(_F32) if is_half(x2.dtype) else x2
        index = _class_index(safe)
        picked = work[index] if work.size else np.zeros(t2.shape, dtype=work.dtype)
        if weight is None:
            w = None if all_valid else valid.astype(work.dtype)
        else:
            w = weight.astype(work.dtype, copy=False)[safe]
            if not all_valid:
                w = w * valid
        if w is None:
            loss = -picked
        else:
            loss = np.where(valid, -(picked * w), work.dtype.type(0))
        total = None
        if reduction == 'none':
            out = loss.reshape(target.shape) if one_d else loss
        elif reduction == 'sum':
            out = loss.sum()
        else:
            # 0 / 0 (every target ignored) is NaN, as in PyTorch
            total = w.sum() if w is not None else work.dtype.type(loss.size)
            out = loss.sum() / total
        if ctx is not None:
            ctx._nll = (x2.shape, index, w, None if all_valid else valid, total, one_d)
        return np.asarray(out).astype(x.dtype, copy=False)

    def backward(self, grad):
        shape, index, w, valid, total, one_d = self._nll
        reduction = self.args[3]
        np_dtype = grad._data.dtype
        if w is None:
            coef = np_dtype.type(-1) if total is None else -1 / np_dtype.type(total)
        else:
            coef = (-w).astype(np_dtype)
            if total is not None:
                coef = coef / np_dtype.type(total)
        if valid is not None:
            # ignored targets get exactly +0 (PyTorch never writes them)
            coef = np.where(valid, coef, np_dtype.type(0))
        matrix = np.zeros(shape, dtype=np_dtype)
        if matrix.size:
            matrix[index] = coef
        if one_d:
            matrix = matrix[0]
        if reduction == 'none' and not one_d:
            grad = grad.unsqueeze(1)
        if not _grad_state.enabled:
            return (make_tensor(np.asarray(matrix * grad._data), grad._dtype, grad._device),)
        return (make_tensor(matrix, grad._dtype, grad._device) * grad,)


def _class_index(target):
    """The fancy index picking ``x[n, target[n, ...], ...]`` from an (N, C, ...) array."""
    shape = target.shape
    grids = np.indices(shape, sparse=True) if len(shape) > 1 else (np.arange(shape[0]),)
    return (grids[0], target) + tuple(grids[1:])


class NllLoss2d(NllLoss):
    node_name = 'NllLoss2DBackward0'


def _check_nll(input, target, weight):
    ndim = input.dim()
    if ndim < 1:
        raise ValueError(f'Expected 1 or more dimensions (got {ndim})')
    if target._dtype not in (dt.int64, dt.uint8):
        raise RuntimeError('expected target dtype to be Long or Byte, but got '
                           f'{_type_name(target._dtype)}')
    shape, tshape = input._data.shape, target._data.shape
    if ndim != 1 and (not tshape or shape[0] != tshape[0]):
        raise ValueError(f'Expected input batch_size ({shape[0]}) to match target batch_size '
                         f'({tshape[0] if tshape else 0}).')
    n_classes = shape[1] if ndim >= 2 else shape[0]
    if ndim <= 2:
        if target.dim() > 1:
            raise RuntimeError('0D or 1D target tensor expected, multi-target not supported')
        if ndim == 1 and target.dim() == 1 and tshape[0] != 1:
            raise ValueError('For 1D input, 1D target must have size 1, but got target size: '
                             f'{tshape[0]}')
        if ndim != 1 and shape[0] != (tshape[0] if tshape else 1):
            raise RuntimeError(f'size mismatch (got input: {list(shape)}, target: '
                               f'{list(tshape)})')
    elif ndim == 4:
        if target.dim() != 3:
            raise RuntimeError('only batches of spatial targets supported (3D tensors) but got '
                               f'targets of dimension: {target.dim()}')
        if tshape != shape[:1] + shape[2:]:
            raise RuntimeError(f'size mismatch (got input: {list(shape)} , target: '
                               f'{list(tshape)}')
    elif tshape[1:] != shape[2:] or target.dim() != ndim - 1:
        raise RuntimeError(f'Expected target size {list(shape[:1] + shape[2:])}, got '
                           f'{list(tshape)}')
    if weight is not None:
        if weight.numel() != n_classes:
            raise RuntimeError(
                f'weight tensor should be defined either for all {n_classes} classes or no '
                f'classes but got weight tensor of shape: {list(weight.shape)}'
                if ndim <= 2 else 'weight tensor should be defined either for all or no classes')
        if weight._dtype is not input._dtype:
            raise RuntimeError(f'expected scalar type {_type_name(input._dtype)} but found '
                               f'{_type_name(weight._dtype)}')


def _nll(input, target, weight, reduction, ignore_index):
    """``nll_loss_nd``: the right node for the input's rank, after the checks."""
    _check_nll(input, target, weight)
    w = None if weight is None else weight._data
    ndim = input.dim()
    if ndim == 1 and target.dim() == 1:   # one unbatched sample with its target as [c]
        target = target.reshape(())
    if ndim <= 2:
        return NllLoss.apply(input, target._data, w, reduction, ignore_index)
    out = NllLoss2d.apply(input, target._data, w, reduction, ignore_index)
    if reduction == 'none' and ndim != 4:
        out = out.view(out.shape)
    return out


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction='mean'):
    """Negative log likelihood: ``-input[n, target[n]]`` (times the class weight), reduced;
    targets equal to ``ignore_index`` are skipped."""
    _check_tensors('nll_loss', input, target)
    reduction = _reduction(reduction, size_average, reduce)
    return _nll(input, target, weight, reduction, ignore_index)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100,
                  reduce=None, reduction='mean', label_smoothing=0.0):
    """``nll_loss(log_softmax(input, class_dim), target)`` for class-index targets, or
    ``-sum(target * log_softmax(input))`` when ``target`` holds class probabilities (same
    shape as ``input``); optional class weights and label smoothing."""
    _check_tensors('cross_entropy', input, target)
    reduction = _reduction(reduction, size_average, reduce)
    class_dim = 0 if input.dim() == 1 else 1
    if input._data.shape == target._data.shape:
        if not target._dtype.is_floating_point:
            raise RuntimeError('Expected floating point type for target with class '
                               f'probabilities, got {_type_name(target._dtype)}')
        if ignore_index >= 0:
            raise RuntimeError('ignore_index is not supported for floating point target')
        return _cross_entropy_probs(input, target, weight, reduction, label_smoothing,
                                    class_dim)
    if label_smoothing > 0.0:
        if label_smoothing > 1.0:
            raise RuntimeError('label_smoothing must be between 0.0 and 1.0. Got: '
                               f'{label_smoothing:g}')
        return _cross_entropy_smoothed(input, target, weight, reduction, ignore_index,
                                       label_smoothing, class_dim)
    if input.dim() == 0:
        raise ValueError('Expected 1 or more dimensions (got 0)')
    return _nll(_softmax_run(LogSoftmax, input, class_dim, None, 'log_softmax'), target, weight,
                reduction, ignore_index)


def _weight_view(weight, ndim, class_dim):
    if ndim <= 1:
        return weight
    shape = [1] * ndim
    shape[class_dim] = weight.shape[0]
    return weight.view(shape)


def _cross_entropy_probs(input, target, weight, reduction, label_smoothing, class_dim):
    n_classes = input._data.shape[class_dim] if input.dim() else 1
    if weight is not None and (weight.dim() != 1 or weight.numel() != n_classes):
        raise RuntimeError(f'cross_entropy: weight tensor should be defined either for all '
                           f'{n_classes} classes or no classes but got weight tensor of shape: '
                           f'{list(weight.shape)}')
    logp = log_softmax(input, class_dim)
    if label_smoothing > 0.0:
        if label_smoothing > 1.0:
            raise RuntimeError('label_smoothing must be between 0.0 and 1.0. Got: '
                               f'{label_smoothing:g}')
        target = target * (1 - label_smoothing) + (label_smoothing / n_classes)
    product = logp * target
    if weight is not None:
        product = product * _weight_view(weight, input.dim(), class_dim)
    if reduction == 'none':
        return -product.sum(class_dim)
    total = -product.sum()
    if reduction == 'sum':
        return total
    if input.numel() == 0:
        return total * float('nan')
    return DivScalar.apply(total, input.numel() // n_classes)


def _cross_entropy_smoothed(input, target, weight, reduction, ignore_index, label_smoothing,
                            class_dim):
    n_classes = input._data.shape[class_dim]
    logp = log_softmax(input, class_dim)
    nll = _nll(logp, target, weight, reduction, ignore_index)
    ignore = target == ignore_index
    if weight is not None:
        smooth = -(logp * _weight_view(weight, input.dim(), class_dim)).sum(class_dim)
    else:
        smooth = -logp.sum(class_dim)
    smooth = smooth.masked_fill(ignore, 0.0)
    if reduction == 'mean':
        if weight is not None:
            kept = target.masked_select(~ignore).flatten()
            ret = smooth.sum() / weight.gather(0, kept).sum()
        else:
            ret = smooth.sum() / (~ignore).sum()
    elif reduction == 'sum':
        ret = smooth.sum()
    else:
        ret = smooth
    return nll * (1 - label_smoothing) + ret * (label_smoothing / n_classes)


# ---------------------------------------------------------------------------------------
# binary cross entropy
# ---------------------------------------------------------------------------------------
class BinaryCrossEntropy(Op):
    node_name = 'BinaryCrossEntropyBackward0'
    save_args = (0, 1)

    @staticmethod
    def forward(ctx, x, y, w, reduction):
        work = x.astype(_F32) if is_half(x.dtype) else x
        yw = y.astype(work.dtype, copy=False)
        if not ((work >= 0) & (work <= 1)).all():
            raise RuntimeError('all elements of input should be between 0 and 1')
        if not ((yw >= 0) & (yw <= 1)).all():
            raise RuntimeError('all elements of target should be between 0 and 1')
        with np.errstate(divide='ignore'):
            log_x = np.maximum(np.log(work), work.dtype.type(-100))
            log_1mx = np.maximum(np.log1p(-work), work.dtype.type(-100))
        loss = (yw - 1) * log_1mx - yw * log_x
        if w is not None:
            loss = loss * w.astype(work.dtype, copy=False)
        return _reduce_array(loss, reduction, x.dtype)

    def backward(self, grad):
        x, y = self.saved
        w, reduction = self.args[2], self.args[3]
        if reduction == 'mean':
            grad = grad / max(x.numel(), 1)
        if w is not None:
            grad = grad * make_tensor(w.astype(x._data.dtype), x._dtype, x._device)
        grad_x = grad_y = None
        if self.next_functions[0][0] is not None:
            grad_x = grad * (x - y) / ((1 - x) * x).clamp_min(1e-12)
        if self.next_functions[1][0] is not None:
            grad_y = grad * ((1 - x).log() - x.log())
        return grad_x, grad_y


def _not_differentiable(function, argument, tensor):
    """PyTorch's refusal when a tensor it has no derivative for requires grad."""
    if tensor._requires_grad and grad_mode.state.enabled:
        raise RuntimeError(f"The function '{function}' is not differentiable with respect to "
                           f"argument '{argument}'. This input cannot have requires_grad True.")


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction='mean'):
    """``-w * (target * log(input) + (1 - target) * log(1 - input))`` with each log clamped
    to at least -100, reduced."""
    _check_tensors('binary_cross_entropy', input, target)
    reduction = _reduction(reduction, size_average, reduce)
    if target.size() != input.size():
        raise ValueError(f'Using a target size ({target.size()}) that is different to the '
                         f'input size ({input.size()}) is deprecated. Please ensure they have '
                         'the same size.')
    if target._dtype is not input._dtype:
        raise RuntimeError(f'Found dtype {_type_name(target._dtype)} but expected '
                           f'{_type_name(input._dtype)}')
    w = None
    if weight is not None:
        _not_differentiable('binary_cross_entropy', 'weight', weight)
        shape = _broadcast_shape(target._data.shape, weight._data.shape)
        w = np.broadcast_to(weight._data, shape)
    return BinaryCrossEntropy.apply(input, target, w, reduction)


class BinaryCrossEntropyWithLogits(Op):
    node_name = 'BinaryCrossEntropyWithLogitsBackward0'
    save_args = (0, 1)

    @staticmethod
    def forward(ctx, x, y, w, pw, reduction):
        out_dtype = y.dtype
        compute = _F32 if is_half(out_dtype) or is_half(x.dtype) else \
            np.result_type(x.dtype, y.dtype)
        xc, yc = x.astype(compute, copy=False), y.astype(compute, copy=False)
        log_sig = np.minimum(xc, 0) - np.log1p(np.exp(-np.abs(xc)))
        if pw is not None:
            log_sig = log_sig * ((pw.astype(compute) - 1) * yc + 1)
        loss = (1 - yc) * xc - log_sig
        if w is not None:
            loss = loss * w.astype(compute, copy=False)
        return _reduce_array(loss, reduction, out_dtype)

    def backward(self, grad):
        x, y = self.saved
        w, pw, reduction = self.args[2], self.args[3], self.args[4]
        dev = x._device
        compute = dt.promote_types(x._dtype, y._dtype)
        if reduction == 'mean':
            grad = grad / max(y.numel(), 1)
        if w is not None:
            grad = grad * make_tensor(w.astype(compute.numpy_dtype), compute, dev)
        pwt = None if pw is None else make_tensor(pw.astype(compute.numpy_dtype), compute, dev)
        grad_x = grad_y = None
        if self.next_functions[0][0] is not None:
            if pwt is None:
                grad_x = grad * (x.sigmoid() - y)
            else:
                t = pwt * y
                grad_x = grad * ((t + 1 - y) * x.sigmoid() - t)
        if self.next_functions[1][0] is not None:
            if pwt is None:
                grad_y = grad * -x
            else:
                grad_y = grad * (logsigmoid(-x) - logsigmoid(x) * pwt)
        return grad_x, grad_y


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None,
                                     reduce=None, reduction='mean', pos_weight=None):
    """Binary cross entropy of ``sigmoid(input)``, computed stably from the logits;
    ``pos_weight`` scales the positive term per class."""
    _check_tensors('binary_cross_entropy_with_logits', input, target)
    reduction = _reduction(reduction, size_average, reduce)
    if target.size() != input.size():
        raise ValueError(f'Target size ({target.size()}) must be the same as input size '
                         f'({input.size()})')
    if not input._dtype.is_floating_point:
        raise NotImplementedError(f'"log_sigmoid_cpu" not implemented for '
                                  f"'{_type_name(input._dtype)}'")
    if not target._dtype.is_floating_point:
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f'{_type_name(target._dtype)}')
    w = None
    if weight is not None:
        _not_differentiable('binary_cross_entropy_with_logits', 'weight', weight)
        _broadcast_shape(input._data.shape, weight._data.shape)
        w = weight._data
    pw = None
    if pos_weight is not None:
        _not_differentiable('binary_cross_entropy_with_logits', 'pos_weight', pos_weight)
        _broadcast_shape(input._data.shape, pos_weight._data.shape)
        pw = pos_weight._data
    return BinaryCrossEntropyWithLogits.apply(input, target, w, pw, reduction)


# ---------------------------------------------------------------------------------------
# losses composed of ember ops (PyTorch composes them too)
# ---------------------------------------------------------------------------------------
class XLogY(Op):
    """``x * log(x)`` with 0 where x == 0 (``xlogy(target, target)`` in ``kl_div``)."""
    node_name = 'XlogyBackward0'
    save_args = (0,)

    @staticmethod
    def forward(ctx, x):
        with np.errstate(divide='ignore', invalid='ignore'):
            out = np.where(x == 0, x.dtype.type(0), x * np.log(x))
        return np.asarray(np.where(np.isnan(x), x, out))

    def backward(self, grad):
        # xlogy(t, t): d/dt = xlogy(t != 0, t) + t / t (NaN at t == 0, as in PyTorch)
        x = self.saved[0]
        return (grad * (x.log().masked_fill(x == 0, 0.0) + x / x),)


def kl_div(input, target, size_average=None, reduce=None, reduction='mean', log_target=False):
    """Kullback-Leibler divergence ``target * (log(target) - input)`` with ``input`` given as
    log-probabilities (``target`` too when ``log_target``); ``'batchmean'`` divides the sum
    by the batch size."""
    _check_tensors('kl_div', input, target)
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    elif reduction == 'mean':
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns with "
                      "the KL div math definition.'mean' will be changed to behave the same as "
                      "'batchmean' in the next major release.", stacklevel=2)
    if reduction not in ('none', 'mean', 'sum', 'batchmean'):
        raise ValueError(f'{reduction} is not a valid value for reduction')
    if not (input._dtype.is_floating_point and target._dtype.is_floating_point):
        raise RuntimeError('kl_div: Integral inputs not supported.')
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = XLogY.apply(target) - target * input
    if reduction == 'batchmean':
        total = loss.sum()
        return total / input.shape[0] if input.dim() else total
    return _reduce(loss, reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8,
                     reduce=None, reduction='mean'):
    """Poisson negative log likelihood: ``exp(input) - target * input`` (``log_input``) or
    ``input - target * log(input + eps)``; ``full`` adds the Stirling term."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    if reduction not in ('none', 'mean', 'sum'):
        raise ValueError(f'{reduction} is not a valid value for reduction')
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        stirling = target * target.log() - target + 0.5 * (2 * math.pi * target).log()
        loss = loss + stirling.masked_fill(target <= 1, 0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction='mean'):
    """Gaussian negative log likelihood ``0.5 * (log(var) + (input - target)^2 / var)`` with
    ``var`` clamped to at least ``eps`` (``full`` adds ``0.5 * log(2 pi)``)."""
    from ..._ops.creation import ones_like
    if isinstance(var, float):
        if var < 0:
            raise ValueError('var has negative entry/entries')
        var = var * ones_like(input)
    elif bool((var < 0).any()):
        raise ValueError('var has negative entry/entries')
    if var.size() != input.size():
        if input.size()[:-1] == var.size():
            var = var.unsqueeze(-1)
        elif input.dim() == var.dim() and \
                sum(y for x, y in zip(input.size(), var.size()) if x != y) == 1:
            pass
        else:
            raise ValueError('var is of incorrect size')
    if reduction not in ('none', 'mean', 'sum'):
        raise ValueError(reduction + ' is not valid')
    var = var.clone()
    with grad_mode.no_grad():
        var.clamp_(min=eps)
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                        reduction='mean'):
    """``max(0, -target * (input1 - input2) + margin)``, reduced."""
    reduction = _reduction(reduction, size_average, reduce)
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(f'margin_ranking_loss : All input tensors should have same dimension '
                           f'but got sizes: input1: {input1.size()}, input2: {input2.size()}, '
                           f'target: {target.size()} ')
    return _reduce(_clamp_min(-target * (input1 - input2) + margin, 0), reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,
                         reduction='mean'):
    """``input`` where target is 1, ``max(0, margin - input)`` where it is -1, reduced."""
    from ..._ops.creation import zeros_like
    reduction = _reduction(reduction, size_average, reduce)
    zeros = zeros_like(input)
    margin_clamp = _clamp_min(margin - input, 0)
    output_margin = where(target != 1, margin_clamp, zeros)
    output_self = where(target != -1, input, zeros)
    return _reduce(output_margin + output_self, reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        size_average=None, reduce=None, reduction='mean'):
    """``max(0, margin + d(anchor, positive) - d(anchor, negative))`` with the p-norm
    pairwise distance; ``swap`` uses the closer of the two negative distances."""
    reduction = _reduction(reduction, size_average, reduce)
    if margin <= 0:
        raise ValueError(f'margin must be greater than 0, got {margin}')
    a, pd, n = anchor.dim(), positive.dim(), negative.dim()
    if not (a == pd == n):
        raise RuntimeError(f'The anchor, positive, and negative tensors are expected to have the '
                           f'same number of dimensions, but got: anchor {a}D, positive {pd}D, '
                           f'and negative {n}D inputs')
    dist_pos = pairwise_distance(anchor, positive, p, eps)
    dist_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        from ..._ops.elementwise import minimum
        dist_neg = minimum(dist_neg, pairwise_distance(positive, negative, p, eps))
    return _reduce(_clamp_min(margin + dist_pos - dist_neg, 0), reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin=1.0, swap=False, reduction='mean'):
    """The triplet loss with any distance function (default ``pairwise_distance``)."""
    from ..._ops.elementwise import minimum
    if reduction not in ('mean', 'sum', 'none'):
        raise ValueError(f'{reduction} is not a valid value for reduction')
    if margin <= 0:
        raise ValueError(f'margin must be greater than 0, got {margin}')
    a, pd, n = anchor.ndim, positive.ndim, negative.ndim
    if not (a == pd == n):
        raise RuntimeError(f'The anchor, positive, and negative tensors are expected to have the '
                           f'same number of dimensions, but got: anchor {a}D, positive {pd}D, '
                           f'and negative {n}D inputs')
    distance = pairwise_distance if distance_function is None else distance_function
    dist_pos = distance(anchor, positive)
    dist_neg = distance(anchor, negative)
    if swap:
        dist_neg = minimum(dist_neg, distance(positive, negative))
    loss = _clamp_min(margin + dist_pos - dist_neg, 0)
    return _reduce(loss, reduction)


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                          reduction='mean'):
    """``1 - cos(x1, x2)`` where target is 1, ``max(0, cos(x1, x2) - margin)`` where it is
    -1, reduced."""
    from ..._ops.creation import zeros_like
    reduction = _reduction(reduction, size_average, reduce)
    targ_dim = target.dim()
    if targ_dim not in (0, 1):
        raise RuntimeError('0D or 1D target tensor expected, multi-target not supported')
    if targ_dim == 1:
        if input1.dim() != 2 or input2.dim() != 2:
            raise RuntimeError(f'1D target tensor expects 2D input tensors, but found inputs '
                               f'with sizes {list(input1.shape)} and {list(input2.shape)}.')
    elif input1.dim() != 1 or input2.dim() != 1:
        raise RuntimeError(f'0D target tensor expects 1D input tensors, but found inputs with '
                           f'sizes {list(input1.shape)} and {list(input2.shape)}.')
    eps = 1e-12
    prod_sum = (input1 * input2).sum(targ_dim)
    mag1 = (input1 * input1).sum(targ_dim) + eps
    mag2 = (input2 * input2).sum(targ_dim) + eps
    cos = prod_sum / (mag1 * mag2).sqrt()
    zeros = zeros_like(cos)
    pos = 1 - cos
    neg = _clamp_min(cos - margin, 0)
    output = where(target == 1, pos, zeros) + where(target == -1, neg, zeros)
    return _reduce(output, reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction='mean'):
    """Per-class logistic loss averaged over classes, then reduced over the batch."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.dim() - 1
    n_classes = input.size(class_dim)
    loss = loss.sum(dim=class_dim) / n_classes
    if reduction == 'none':
        return loss
    if reduction == 'mean':
        return loss.mean()
    if reduction == 'sum':
        return loss.sum()
    raise ValueError(reduction + ' is not valid')


# ---------------------------------------------------------------------------------------
# margin losses over classes
# ---------------------------------------------------------------------------------------
class MultiMarginLoss(Op):
    node_name = 'MultiMarginLossBackward0'
    save_args = (0,)

    @staticmethod
    def forward(ctx, x, target, p, margin, w, reduction):
        work = x.astype(_F32) if is_half(x.dtype) else x
        x2 = work.reshape(-1, work.shape[-1] if work.ndim else 1)
        t = target.reshape(-1).astype(np.int64)
        n_classes = x2.shape[1]
        if ((t < 0) | (t >= n_classes)).any():
            raise RuntimeError('target out of range')
        rows = np.arange(x2.shape[0])
        z = work.dtype.type(margin) - x2[rows, t][:, None] + x2
        z[rows, t] = 0
        h = np.maximum(z, 0)
        if p == 2:
            h = h * h
        if w is not None:
            h = h * w.astype(work.dtype)[t][:, None]
        loss = h.sum(axis=1) / work.dtype.type(n_classes)
        if reduction == 'none':
            loss = loss.reshape(target.shape)
        return _reduce_array(loss, reduction, x.dtype)

    def backward(self, grad):
        from ..._ops.creation import tensor
        x = self.saved[0]
        target, p, margin, w, reduction = self.args[1:]
        shape = x.shape
        x2 = x.reshape(-1, shape[-1] if x.dim() else 1)
        n, n_classes = x2.shape
        t = np.asarray(target).reshape(-1).astype(np.int64)
        onehot = np.zeros((n, n_classes), dtype=bool)
        onehot[np.arange(n), t] = True
        dev = x.device
        tt = tensor(t, device=dev)
        z = margin - x2.gather(1, tt.unsqueeze(1)) + x2
        active = (z > 0) & make_tensor(~onehot, dt.bool, dev)
        coef = (2 * z * active) if p == 2 else active.to(x.dtype)
        scale = np.full(n, 1.0 / n_classes)
        if w is not None:
            scale = scale * np.asarray(w, dtype=np.float64)[t]
        coef = coef * make_tensor(scale.astype(x._data.dtype)[:, None], x.dtype, dev)
        g = coef - make_tensor(onehot, dt.bool, dev) * coef.sum(1, keepdim=True)
        if reduction == 'mean':
            grad = grad / max(n, 1)
        elif reduction == 'none':
            grad = grad.reshape(-1, 1)
        return ((g * grad).reshape(shape),)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None,
                      reduce=None, reduction='mean'):
    """Multi-class hinge loss: ``sum_{i != y} max(0, margin - x[y] + x[i])^p / C`` per
    sample (times ``weight[y]``), reduced."""
    reduction = _reduction(reduction, size_average, reduce)
    if p != 1 and p != 2:
        raise ValueError('only p == 1 and p == 2 supported')
    if weight is not None and weight.dim() != 1:
        raise ValueError('weight must be one-dimensional')
    ndim = input.dim()
    shape = input._data.shape
    if not ((ndim == 2 and shape[1] != 0) or (ndim == 1 and shape[0] != 0) or ndim == 0):
        raise RuntimeError('Expected non-empty vector or matrix with optional 0-dim batch size, '
                           f'but got: {list(shape)}')
    nframe = shape[0] if ndim == 2 else 1
    n_classes = shape[-1] if ndim else 1
    if target.dim() > 1 or target.numel() != nframe:
        raise RuntimeError(f'multi_margin_loss: target tensor should be 1-D with size equal to '
                           f'the number of input samples (batch size). Expected target size '
                           f'[{nframe}], but got {list(target.shape)}. Input has shape '
                           f'{list(shape)}.')
    if weight is not None and weight.numel() != n_classes:
        raise RuntimeError(f'inconsistent weight size, expected {n_classes} but got '
                           f'{list(weight.shape)}')
    if weight is not None and weight._dtype is not input._dtype:
        raise RuntimeError(f'expected scalar type {_type_name(input._dtype)} but found '
                           f'{_type_name(weight._dtype)}')
    w = None if weight is None else weight._data
    return MultiMarginLoss.apply(input, target._data, p, margin, w, reduction)


class MultilabelMarginLoss(Op):
    node_name = 'MultilabelMarginLossBackward0'
    save_args = (0,)

    @staticmethod
    def forward(ctx, x, is_target, reduction, out_shape):
        work = x.astype(_F32) if is_half(x.dtype) else x
        x2 = work.reshape(-1, work.shape[-1] if work.ndim else 1)
        n_classes = x2.shape[1]
        pairs = is_target[:, :, None] & ~is_target[:, None, :]
        z = 1 - x2[:, :, None] + x2[:, None, :]
        loss = (np.maximum(z, 0) * pairs).sum(axis=(1, 2)) / work.dtype.type(n_classes)
        if reduction == 'none':
            loss = loss.reshape(out_shape)
        return _reduce_array(loss, reduction, x.dtype)

    def backward(self, grad):
        x = self.saved[0]
        is_target, reduction = self.args[1], self.args[2]
        shape = x.shape
        x2 = x._data.reshape(-1, shape[-1] if x.dim() else 1)
        n, n_classes = x2.shape
        pairs = is_target[:, :, None] & ~is_target[:, None, :]
        active = pairs & ((1 - x2[:, :, None] + x2[:, None, :]) > 0)
        coef = (active.sum(axis=1) - active.sum(axis=2)).astype(x2.dtype) / n_classes
        g = make_tensor(coef.reshape(shape), x.dtype, x.device)
        if reduction == 'mean':
            grad = grad / max(n, 1)
        elif reduction == 'none':
            grad = grad.reshape(tuple(grad.shape) + (1,))
        return (g * grad,)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction='mean'):
    """Multi-label hinge loss: for each target class ``j`` (listed in ``target`` up to the
    first -1) and each other class ``k``, ``max(0, 1 - (x[j] - x[k]))``, summed and divided
    by the number of classes."""
    reduction = _reduction(reduction, size_average, reduce)
    shape = input._data.shape
    if input.dim() > 2 or target._data.shape != shape:
        if not (input.dim() <= 1 and target.numel() == input.numel() and target.dim() <= 1):
            raise RuntimeError(f'inconsistent target size: {list(target.shape)} for input of '
                               f'size: {list(shape)}')
    n_classes = shape[-1] if input.dim() else 1
    t = target._data.reshape(-1, n_classes).astype(np.int64)
    if ((t < -1) | (t >= n_classes)).any():
        raise RuntimeError("argument #2 'target' is out of range")
    # the target classes of a row are the entries before its first -1
    stopped = np.cumsum(t == -1, axis=1) > 0
    is_target = np.zeros(t.shape, dtype=bool)
    rows = np.nonzero(~stopped)
    is_target[rows[0], t[rows]] = True
    out_shape = shape[:-1] if input.dim() == 2 else ()
    return MultilabelMarginLoss.apply(input, is_target, reduction, out_shape)


# ---------------------------------------------------------------------------------------
# CTC
# ---------------------------------------------------------------------------------------
def _logsumexp3(a, b, c):
    m = np.maximum(np.maximum(a, b), c)
    shift = np.where(np.isfinite(m), m, 0)
    with np.errstate(divide='ignore'):
        return shift + np.log(np.exp(a - shift) + np.exp(b - shift) + np.exp(c - shift))


def _shift(a, k):
    """``a`` moved k places right along the last axis, filled with -inf."""
    out = np.full_like(a, -np.inf)
    out[..., k:] = a[..., :a.shape[-1] - k]
    return out


def _unshift(a, k):
    out = np.full_like(a, -np.inf)
    out[..., :a.shape[-1] - k] = a[..., k:]
    return out


class CtcLossGrad(Op):
    """The gradient of ctc_loss, recorded when a graph of it is wanted: PyTorch cannot
    differentiate it (``_ctc_loss_backward``), so this node raises its error."""
    node_name = 'torch::autograd::NotImplemented'

    @staticmethod
    def forward(ctx, grad, log_probs, value):
        return value

    def backward(self, grad):
        raise RuntimeError('derivative for aten::_ctc_loss_backward is not implemented')


class CtcLoss(Op):
    """Per-sequence CTC negative log likelihood by the forward (alpha) recursion over time,
    vectorised over the batch and the extended label sequence."""
    node_name = 'CtcLossBackward0'
    save_args = (0,)

    @staticmethod
    def forward(ctx, log_probs, ext, skip, in_lens, tgt_lens, zero_infinity):
        lp = log_probs.astype(np.float64)
        n_time, batch, _ = lp.shape
        width = ext.shape[1]
        lp_ext = np.take_along_axis(lp, np.broadcast_to(ext, (n_time,) + ext.shape), axis=2)
        used = np.arange(width)[None, :] < (2 * tgt_lens + 1)[:, None]
        alpha = np.full((n_time, batch, width), -np.inf)
        if n_time:
            alpha[0, :, :2] = lp_ext[0, :, :2]
            alpha[0][~used] = -np.inf
        for t in range(1, n_time):
            prev = alpha[t - 1]
            two = np.where(skip, _shift(prev, 2), -np.inf)
            alpha[t] = np.where(used, lp_ext[t] + _logsumexp3(prev, _shift(prev, 1), two),
                                -np.inf)
        rows = np.arange(batch)
        last_t = np.maximum(in_lens - 1, 0)
        final = alpha[last_t, rows]
        end = np.take_along_axis(final, (2 * tgt_lens)[:, None], axis=1)[:, 0]
        before = np.take_along_axis(final, np.maximum(2 * tgt_lens - 1, 0)[:, None],
                                    axis=1)[:, 0]
        before = np.where(tgt_lens > 0, before, -np.inf)
        top = np.maximum(end, before)
        shift = np.where(np.isfinite(top), top, 0)
        with np.errstate(divide='ignore'):
            nll = -(shift + np.log(np.exp(end - shift) + np.exp(before - shift)))
        nll = np.where(in_lens > 0, nll, np.where(tgt_lens > 0, np.inf, 0.0))
        if ctx is not None:
            ctx._ctc = (lp, lp_ext, alpha, used, nll)
        return nll.astype(log_probs.dtype)

    def backward(self, grad):
        lp, lp_ext, alpha, used, nll = self._ctc
        ext, skip, in_lens, tgt_lens, zero_infinity = self.args[1:]
        n_time, batch, n_classes = lp.shape
        width = ext.shape[1]
        rows = np.arange(batch)
        beta = np.full_like(alpha, -np.inf)
        next_beta = np.full((batch, width), -np.inf)
        skip_ahead = _unshift(skip, 2) if width > 2 else np.zeros_like(skip)
        for t in range(n_time - 1, -1, -1):
            start = np.full((batch, width), -np.inf)
            start[rows, 2 * tgt_lens] = lp_ext[t, rows, 2 * tgt_lens]
            has = tgt_lens > 0
            start[rows[has], 2 * tgt_lens[has] - 1] = lp_ext[t, rows[has], 2 * tgt_lens[has] - 1]
            two = np.where(skip_ahead, _unshift(next_beta, 2), -np.inf)
            step = np.where(used, lp_ext[t] + _logsumexp3(next_beta, _unshift(next_beta, 1),
                                                          two), -np.inf)
            cur = np.where((t == in_lens - 1)[:, None], start,
                           np.where((t < in_lens - 1)[:, None], step, -np.inf))
            beta[t] = cur
            next_beta = cur
        both = alpha + beta
        top = np.max(both, axis=2, keepdims=True)
        top = np.where(np.isfinite(top), top, 0)
        weights = np.exp(both - top)
        acc = np.zeros((n_time, batch, n_classes))
        for s in range(width):
            acc[:, rows, ext[:, s]] += weights[:, :, s]
        with np.errstate(divide='ignore', over='ignore', invalid='ignore'):
            lcab = np.log(acc) + top
            g = np.exp(lp) - np.exp(lcab + nll[None, :, None] - lp)
        live = np.arange(n_time)[:, None] < in_lens[None, :]
        g = np.where(live[:, :, None], g, 0.0)
        if zero_infinity:
            g = np.where(np.isinf(nll)[None, :, None], 0.0, g)
        g = g * grad._data.astype(np.float64)[None, :, None]
        return (CtcLossGrad.apply(grad, self.saved[0], g.astype(grad._data.dtype)),)


def _lengths(value, name):
    if isinstance(value, Tensor):
        return value._data.reshape(-1).astype(np.int64)
    return np.asarray(list(value) if not isinstance(value, int) else [value], dtype=np.int64)


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction='mean',
             zero_infinity=False):
    """Connectionist temporal classification loss of (T, N, C) log-probabilities (or (T, C)
    unbatched) against target sequences, padded (N, S) or concatenated 1-D."""
    if reduction not in ('none', 'mean', 'sum'):
        raise ValueError(f'{reduction} is not a valid value for reduction')
    unbatched = log_probs.dim() == 2
    if unbatched:
        log_probs = log_probs.unsqueeze(1)
        targets = targets.unsqueeze(0) if targets.dim() == 1 else targets
    if log_probs.dim() != 3:
        raise RuntimeError(f'ctc_loss: expected log_probs to be 2-D or 3-D, got '
                           f'{log_probs.dim()}-D')
    n_time, batch, n_classes = log_probs._data.shape
    in_lens = _lengths(input_lengths, 'input_lengths')
    tgt_lens = _lengths(target_lengths, 'target_lengths')
    if in_lens.size != batch:
        raise RuntimeError(f'input_lengths must be of size batch_size')
    if tgt_lens.size != batch:
        raise RuntimeError(f'target_lengths must be of size batch_size')
    if (in_lens > n_time).any():
        bad = int(in_lens[in_lens > n_time][0])
        raise RuntimeError(f'Expected input_lengths to have value at most {n_time}, but got '
                           f'value {bad} (while checking arguments for ctc_loss_cpu)')
    if not 0 <= blank < n_classes:
        raise RuntimeError('blank must be in label range')
    tgt = targets._data.astype(np.int64)
    longest = int(tgt_lens.max()) if tgt_lens.size else 0
    checking = (" for argument #2 'targets' (while checking arguments for "
                "ctc_loss_allocate_outputs)")
    if tgt.ndim == 1 and tgt.shape[0] != int(tgt_lens.sum()):
        raise RuntimeError(f'Expected tensor to have size {int(tgt_lens.sum())} at dimension 0, '
                           f'but got size {tgt.shape[0]}{checking}')
    if tgt.ndim > 1 and tgt.shape[1] < longest:
        raise RuntimeError(f'Expected tensor to have size at least {longest} at dimension 1, but '
                           f'got size {tgt.shape[1]}{checking}')
    padded = np.full((batch, max(longest, 1)), blank, dtype=np.int64)
    if tgt.ndim == 1:
        offsets = np.concatenate([[0], np.cumsum(tgt_lens)[:-1]])
        for b in range(batch):
            padded[b, :tgt_lens[b]] = tgt[offsets[b]:offsets[b] + tgt_lens[b]]
    else:
        for b in range(batch):
            padded[b, :tgt_lens[b]] = tgt[b, :tgt_lens[b]]
    width = 2 * longest + 1
    ext = np.full((batch, width), blank, dtype=np.int64)
    ext[:, 1::2] = padded[:, :longest]
    previous = np.full_like(ext, -1)
    previous[:, 2:] = ext[:, :-2]
    skip = (ext != blank) & (ext != previous) & (np.arange(width) >= 2)[None, :]
    res = CtcLoss.apply(log_probs, ext, skip, in_lens, tgt_lens, bool(zero_infinity))
    if zero_infinity:
        zero = make_tensor(np.zeros((), dtype=res._data.dtype), res._dtype, res._device)
        res = where(res == math.inf, zero, res)
    if unbatched:
        res = res.squeeze(0)
    if reduction == 'mean':
        lengths = make_tensor(np.maximum(tgt_lens, 1).astype(res._data.dtype), res._dtype,
                              res._device)
        return (res / (lengths if not unbatched else lengths.squeeze(0))).mean()
    if reduction == 'sum':
        return res.sum()
    return res
