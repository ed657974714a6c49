"""Normalization layers over features: LayerNorm, GroupNorm, RMSNorm, LocalResponseNorm and
the legacy CrossMapLRN2d. (Batch and instance norm live in batchnorm.py and
instancenorm.py.)"""
import numbers

import numpy as np

from .module import Module
from .. import functional as F
from .. import init
from ..parameter import Parameter
from ..._ops.creation import empty
from ..._tensor import make_tensor
from ...autograd.function import Function

__all__ = ['LocalResponseNorm', 'CrossMapLRN2d', 'LayerNorm', 'GroupNorm', 'RMSNorm']


class LocalResponseNorm(Module):
    """Normalizes each input position by the energy of ``size`` neighbouring channels."""

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def forward(self, input):
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f'{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}'


class _CrossMapLRN2dFunction(Function):
    """The legacy (Lua Torch) cross-channel LRN with its own forward window and backward
    formula, reproduced as PyTorch keeps them."""

    @staticmethod
    def forward(ctx, input, size, alpha=1e-4, beta=0.75, k=1):
        if input.dim() != 4:
            raise ValueError(f'CrossMapLRN2d: Expected input to be 4D, got {input.dim()}D '
                             'instead.')
        x = input._data
        compute = np.float64 if x.dtype == np.float64 else np.float32
        xc = x.astype(compute)
        channels = x.shape[1]
        pre_pad = int((size - 1) / 2 + 1)
        prefix = np.cumsum(xc * xc, axis=1)
        c = np.arange(channels)
        # The running window adds channel c + pre_pad - 1 and, past pre_pad, drops channel
        # c - pre_pad, but never drops channel 0.
        scale = prefix[:, np.minimum(c + pre_pad - 1, channels - 1)]
        late = c > pre_pad
        if late.any():
            dropped = prefix[:, c[late] - pre_pad] - xc[:, :1] * xc[:, :1]
            scale[:, late] -= dropped
        scale = scale * (alpha / size) + k
        out = xc * scale ** -beta
        ctx.size, ctx.alpha, ctx.beta, ctx.k = size, alpha, beta, k
        ctx.scale = scale
        result = make_tensor(out.astype(x.dtype), input._dtype, input._device)
        ctx.save_for_backward(input, result)
        return result

    @staticmethod
    def backward(ctx, grad_output):
        input, output = ctx.saved_tensors
        size, alpha, beta = ctx.size, ctx.alpha, ctx.beta
        scale = ctx.scale
        g = grad_output._data.astype(scale.dtype)
        x = input._data.astype(scale.dtype)
        y = output._data.astype(scale.dtype)
        channels = x.shape[1]
        inverse_pre_pad = int(size - (size - 1) / 2)
        if inverse_pre_pad + channels > channels + size - 1:
            # PyTorch's legacy backward cannot handle size 1 either.
            raise RuntimeError(f'start ({inverse_pre_pad}) + length ({channels}) exceeds '
                               f'dimension size ({channels + size - 1}).')
        grad_input = scale ** -beta * g
        padded = np.zeros((x.shape[0], channels + size - 1) + x.shape[2:], scale.dtype)
        padded[:, inverse_pre_pad:inverse_pre_pad + channels] = g * y / scale
        prefix = np.concatenate([np.zeros_like(padded[:, :1]), np.cumsum(padded, axis=1)],
                                axis=1)
        c = np.arange(channels)
        accum = prefix[:, c + size] - prefix[:, c]
        grad_input -= (2 * alpha * beta / size) * x * accum
        return (make_tensor(grad_input.astype(input._data.dtype), input._dtype,
                            input._device), None, None, None, None)


_CrossMapLRN2dFunction._backward_cls.__name__ = 'CrossMapLRN2dBackward'


class CrossMapLRN2d(Module):
    """Legacy cross-channel local response normalization of a 4-D input."""

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1):
        super().__init__()
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def forward(self, input):
        return _CrossMapLRN2dFunction.apply(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f'{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}'


def _shape_tuple(normalized_shape):
    if isinstance(normalized_shape, numbers.Integral):
        return (normalized_shape,)
    return tuple(normalized_shape)


class LayerNorm(Module):
    """Normalizes over the trailing ``normalized_shape`` dims of each sample, with an
    elementwise affine map (``weight`` ones, ``bias`` zeros) when ``elementwise_affine``."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True,
                 device=None, dtype=None):
        super().__init__()
        self.normalized_shape = _shape_tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(empty(self.normalized_shape, device=device, dtype=dtype))
            if bias:
                self.bias = Parameter(empty(self.normalized_shape, device=device, dtype=dtype))
            else:
                self.register_parameter('bias', None)
        else:
            self.register_parameter('weight', None)
            self.register_parameter('bias', None)
        self.reset_parameters()

    def reset_parameters(self):
        if self.elementwise_affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f'{self.normalized_shape}, eps={self.eps}, '
                f'elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}')


class GroupNorm(Module):
    """Splits the channels into ``num_groups`` groups and normalizes each group of each
    sample; then a per-channel affine map (``weight`` ones, ``bias`` zeros) when
    ``affine``."""

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None,
                 dtype=None, *, bias=True):
        super().__init__()
        if num_channels % num_groups != 0:
            raise ValueError(f'num_channels ({num_channels}) must be divisible by num_groups '
                             f'({num_groups})')
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        if affine:
            self.weight = Parameter(empty(num_channels, device=device, dtype=dtype))
            if bias:
                self.bias = Parameter(empty(num_channels, device=device, dtype=dtype))
            else:
                self.register_parameter('bias', None)
        else:
            self.register_parameter('weight', None)
            self.register_parameter('bias', None)
        self.reset_parameters()

    def reset_parameters(self):
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input):
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f'{self.num_groups}, {self.num_channels}, eps={self.eps}, '
                f'affine={self.affine}, bias={self.bias is not None}')


class RMSNorm(Module):
    """Root-mean-square normalization over the trailing ``normalized_shape`` dims, with an
    elementwise ``weight`` (ones) when ``elementwise_affine``. ``eps=None`` uses the
    input dtype's machine epsilon."""

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None,
                 dtype=None):
        super().__init__()
        self.normalized_shape = _shape_tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(empty(self.normalized_shape, device=device, dtype=dtype))
        else:
            self.register_parameter('weight', None)
        self.reset_parameters()

    def reset_parameters(self):
        if self.elementwise_affine:
            init.ones_(self.weight)

    def forward(self, x):
        return F.rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self):
        return (f'{self.normalized_shape}, eps={self.eps}, '
                f'elementwise_affine={self.elementwise_affine}')
