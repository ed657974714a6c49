"""nn.functional: dropout and its feature (channel-wise) and alpha (SELU) variants.

PyTorch's CPU dropout multiplies the input by a noise tensor: ``bernoulli(1 - p)`` drawn
into a tensor shaped like the input (or like ``(N, C, 1, ...)`` for feature dropout), then
divided by ``1 - p``. The draws come from ember's generator in the same order as PyTorch's
(memory order of the noise tensor), so a seeded ember dropout zeroes the same elements.
The graph shows PyTorch's nodes: ``MulBackward0`` (and ``AddBackward0`` for alpha dropout).
"""
import math
import warnings

import numpy as np

from ... import _args
from ..._tensor import Tensor, make_tensor
from .distance import is_half

__all__ = ['dropout', 'dropout1d', 'dropout2d', 'dropout3d', 'alpha_dropout',
           'feature_alpha_dropout', 'dropout_', 'alpha_dropout_', 'feature_alpha_dropout_']

_ALPHA = 1.7580993408473766     # -SELU's negative saturation: scale * alpha


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f'dropout probability has to be between 0 and 1, but got {p}')


def _bernoulli_like(input, keep, shape):
    """0/1 draws with probability ``keep`` in ``input``'s dtype, shaped like ``shape``,
    drawn in the order PyTorch fills the noise tensor (its memory order)."""
    from ..._ops.random import default_generator
    data = input._data
    np_dtype = data.dtype
    if shape is None:
        shape = data.shape
        order = _memory_order(input)
        if order is not None:
            drawn = default_generator.bernoulli(keep, tuple(shape[d] for d in order), np_dtype)
            return np.transpose(drawn, np.argsort(order))
    return default_generator.bernoulli(keep, tuple(shape), np_dtype).reshape(shape)


def _memory_order(input):
    """The dims from outermost to innermost in memory when ``input`` is dense but not
    C-contiguous (``empty_like`` keeps such a layout); None otherwise."""
    data = input._data
    if data.ndim < 2 or data.flags.c_contiguous or data.size == 0:
        return None
    strides = input.stride()
    order = sorted(range(data.ndim), key=lambda d: (-strides[d], d))
    expected = 1
    for d in reversed(order):
        if data.shape[d] == 1:
            continue
        if strides[d] != expected:
            return None
        expected *= data.shape[d]
    return order


def _scalar(value, np_dtype):
    """A Python number as the dtype PyTorch's scalar ops compute in (float for halves)."""
    return np.float32(value) if is_half(np_dtype) else np_dtype.type(value)


def _check_float_noise(input):
    if not (input._dtype.is_floating_point or input._dtype.is_complex):
        from ..._ops.elementwise import _type_name
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f'{_type_name(input._dtype)}')


def _feature_shape(input):
    if input.dim() < 2:
        raise RuntimeError('Feature dropout requires at least 2 dimensions in the input')
    shape = input._data.shape
    return shape[:2] + (1,) * (len(shape) - 2)


def _apply(input, noise, inplace, shift=None):
    """``input * noise (+ shift)``, in place when asked, through ember's ops (so the graph
    shows MulBackward0 / AddBackward0)."""
    device = input._device
    noise_t = make_tensor(noise, input._dtype, device)
    if inplace:
        input.mul_(noise_t)
        if shift is not None:
            input.add_(make_tensor(shift, input._dtype, device))
        return input
    out = input * noise_t
    if shift is not None:
        out = out.add_(make_tensor(shift, input._dtype, device))
    return out


def _zero(input, inplace):
    zero = make_tensor(np.zeros((), dtype=input._data.dtype), input._dtype, input._device)
    return input.mul_(zero) if inplace else input * zero


def _dropout_impl(input, p, training, inplace, feature, alpha):
    if not isinstance(input, Tensor):
        raise TypeError(f"dropout(): argument 'input' (position 1) must be Tensor, not "
                        f'{_args.type_name(input)}')
    if p == 0 or not training or input._data.size == 0:
        return input
    shape = _feature_shape(input) if feature else None
    if p == 1:
        return _zero(input, inplace)
    _check_float_noise(input)
    keep = 1.0 - p
    np_dtype = input._data.dtype
    mask = _bernoulli_like(input, keep, shape)
    compute = np.float32 if is_half(np_dtype) else np_dtype.type
    if alpha:
        a = 1.0 / math.sqrt((_ALPHA * _ALPHA * p + 1) * (1 - p))
        m = mask.astype(compute, copy=False)
        shift = ((m - compute(1)) * compute(_ALPHA * a) + compute(_ALPHA * a * p))
        noise = (m * compute(a)).astype(np_dtype, copy=False)
        return _apply(input, noise, inplace, shift.astype(np_dtype, copy=False))
    if is_half(np_dtype):
        noise = (mask.astype(np.float32) / np.float32(keep)).astype(np_dtype)
    else:
        # The draws are a fresh array: scale them in place (no second input-sized array).
        noise = np.divide(mask, np_dtype.type(keep), out=mask)
    return _apply(input, noise, inplace)


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)`` (only
    when ``training``)."""
    _check_p(p)
    return _dropout_impl(input, p, training, inplace, False, False)


def dropout_(input, p=0.5, training=True):
    return dropout(input, p, training, True)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout for SELU networks: dropped values become SELU's negative saturation and the
    result is rescaled to keep zero mean and unit variance."""
    _check_p(p)
    return _dropout_impl(input, p, training, inplace, False, True)


def alpha_dropout_(input, p=0.5, training=False):
    return alpha_dropout(input, p, training, True)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Alpha dropout of whole channels (dim 1)."""
    _check_p(p)
    return _dropout_impl(input, p, training, inplace, True, True)


def feature_alpha_dropout_(input, p=0.5, training=False):
    return feature_alpha_dropout(input, p, training, True)


def _unbatched(input, inplace, fn):
    """Run feature dropout on an input without a batch dim by adding one."""
    batched = input.unsqueeze_(0) if inplace else input.unsqueeze(0)
    result = fn(batched)
    return result.squeeze_(0) if inplace else result.squeeze(0)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of an (N, C, L) or (C, L) input with probability ``p``."""
    _check_p(p)
    ndim = input.dim()
    if ndim not in (2, 3):
        raise RuntimeError(
            f'dropout1d: Expected 2D or 3D input, but received a {ndim}D input. Note that '
            'dropout1d exists to provide channel-wise dropout on inputs with 1 spatial '
            'dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D '
            'inputs).')
    run = lambda t: _dropout_impl(t, p, training, inplace, True, False)  # noqa: E731
    if ndim == 2:
        return _unbatched(input, inplace, run)
    return run(input)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of an (N, C, H, W) input with probability ``p``."""
    _check_p(p)
    ndim = input.dim()
    if ndim not in (3, 4):
        warnings.warn(
            f'dropout2d: Received a {ndim}-D input to dropout2d, which is deprecated and will '
            'result in an error in a future release. To retain the behavior and silence this '
            'warning, please use dropout instead. Note that dropout2d exists to provide '
            'channel-wise dropout on inputs with 2 spatial dimensions, a channel dimension, '
            'and an optional batch dimension (i.e. 3D or 4D inputs).', stacklevel=2)
    if ndim == 3:
        warnings.warn(
            'dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D '
            'dropout behavior is desired - input is interpreted as shape (N, C, L), where C '
            'is the channel dim. This behavior will change in a future release to interpret '
            'the input as one without a batch dimension, i.e. shape (C, H, W). To maintain '
            'the 1D channel-wise dropout behavior, please switch to using dropout1d instead.',
            stacklevel=2)
    return _dropout_impl(input, p, training, inplace, True, False)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of an (N, C, D, H, W) or (C, D, H, W) input with probability
    ``p``."""
    _check_p(p)
    ndim = input.dim()
    if ndim not in (4, 5):
        warnings.warn(
            f'dropout3d: Received a {ndim}-D input to dropout3d, which is deprecated and will '
            'result in an error in a future release. To retain the behavior and silence this '
            'warning, please use dropout instead. Note that dropout3d exists to provide '
            'channel-wise dropout on inputs with 3 spatial dimensions, a channel dimension, '
            'and an optional batch dimension (i.e. 4D or 5D inputs).', stacklevel=2)
    run = lambda t: _dropout_impl(t, p, training, inplace, True, False)  # noqa: E731
    if ndim != 5:
        return _unbatched(input, inplace, run)
    return run(input)
