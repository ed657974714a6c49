"""Convolution layers: Conv1d/2d/3d, ConvTranspose1d/2d/3d and their lazy forms."""
import math
from collections.abc import Iterable

from .module import Module
from .. import functional as F
from .. import init
from ..parameter import Parameter, UninitializedParameter
from ..._ops.creation import empty

__all__ = ['Conv1d', 'Conv2d', 'Conv3d', 'ConvTranspose1d', 'ConvTranspose2d',
           'ConvTranspose3d', 'LazyConv1d', 'LazyConv2d', 'LazyConv3d',
           'LazyConvTranspose1d', 'LazyConvTranspose2d', 'LazyConvTranspose3d']

_PADDING_MODES = ('zeros', 'reflect', 'replicate', 'circular')


def _ntuple(value, n):
    """PyTorch's ``_ntuple``: iterables become tuples as they are, scalars are repeated."""
    if isinstance(value, Iterable):
        return tuple(value)
    return (value,) * n


class _ConvNd(Module):
    """What all convolution layers share: hyper-parameters, weight/bias, init and repr."""
    _num_spatial_dims = 2

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation,
                 transposed, output_padding, groups, bias, padding_mode, device=None,
                 dtype=None):
        super().__init__()
        if groups <= 0:
            raise ValueError('groups must be a positive integer')
        if in_channels % groups != 0:
            raise ValueError('in_channels must be divisible by groups')
        if out_channels % groups != 0:
            raise ValueError('out_channels must be divisible by groups')
        if isinstance(padding, str):
            if padding not in ('same', 'valid'):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of "
                                 "{'valid', 'same'}")
            if padding == 'same' and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        if padding_mode not in _PADDING_MODES:
            raise ValueError("padding_mode must be one of {'zeros', 'reflect', 'replicate', "
                             f"'circular'}}, but got padding_mode='{padding_mode}'")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = transposed
        self.output_padding = output_padding
        self.groups = groups
        self.padding_mode = padding_mode
        # F.pad's argument for non-zero padding modes: last dim first, (left, right) pairs.
        if isinstance(padding, str):
            pads = [0, 0] * len(kernel_size)
            if padding == 'same':
                for d, k, i in zip(dilation, kernel_size,
                                   range(len(kernel_size) - 1, -1, -1)):
                    total = d * (k - 1)
                    left = total // 2
                    pads[2 * i] = left
                    pads[2 * i + 1] = total - left
        else:
            pads = [p for p in reversed(padding) for _ in range(2)]
        self._reversed_padding_repeated_twice = pads
        if transposed:
            shape = (in_channels, out_channels // groups) + tuple(kernel_size)
        else:
            shape = (out_channels, in_channels // groups) + tuple(kernel_size)
        self.weight = Parameter(empty(shape, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter('bias', None)
        self.reset_parameters()

    def reset_parameters(self):
        # Kaiming-uniform with a=sqrt(5) gives U(-1/sqrt(fan_in), 1/sqrt(fan_in)), as PyTorch.
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self):
        s = (f'{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, '
             f'stride={self.stride}')
        if self.padding != (0,) * len(self.padding):
            s += f', padding={self.padding}'
        if self.dilation != (1,) * len(self.dilation):
            s += f', dilation={self.dilation}'
        if self.output_padding != (0,) * len(self.output_padding):
            s += f', output_padding={self.output_padding}'
        if self.groups != 1:
            s += f', groups={self.groups}'
        if self.bias is None:
            s += ', bias=False'
        if self.padding_mode != 'zeros':
            s += f', padding_mode={self.padding_mode}'
        return s

    def __setstate__(self, state):
        super().__setstate__(state)
        if not hasattr(self, 'padding_mode'):
            self.padding_mode = 'zeros'


class _Conv(_ConvNd):
    """A direct convolution with ``nd`` spatial dims."""
    _function = None

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, groups=1, bias=True, padding_mode='zeros', device=None,
                 dtype=None):
        n = self._num_spatial_dims
        super().__init__(in_channels, out_channels, _ntuple(kernel_size, n),
                         _ntuple(stride, n),
                         padding if isinstance(padding, str) else _ntuple(padding, n),
                         _ntuple(dilation, n), False, _ntuple(0, n), groups, bias,
                         padding_mode, device=device, dtype=dtype)

    def _conv_forward(self, input, weight, bias):
        conv = type(self)._function
        if self.padding_mode != 'zeros':
            return conv(F.pad(input, self._reversed_padding_repeated_twice,
                              mode=self.padding_mode),
                        weight, bias, self.stride, _ntuple(0, self._num_spatial_dims),
                        self.dilation, self.groups)
        return conv(input, weight, bias, self.stride, self.padding, self.dilation,
                    self.groups)

    def forward(self, input):
        return self._conv_forward(input, self.weight, self.bias)


class Conv1d(_Conv):
    """1-D convolution over (N, C_in, L) inputs: weight (C_out, C_in / groups, kW)."""
    _num_spatial_dims = 1
    _function = staticmethod(F.conv1d)


class Conv2d(_Conv):
    """2-D convolution over (N, C_in, H, W) inputs: weight (C_out, C_in / groups, kH, kW)."""
    _num_spatial_dims = 2
    _function = staticmethod(F.conv2d)


class Conv3d(_Conv):
    """3-D convolution over (N, C_in, D, H, W) inputs."""
    _num_spatial_dims = 3
    _function = staticmethod(F.conv3d)


class _ConvTransposeNd(_ConvNd):
    """A transposed convolution ("deconvolution") with ``nd`` spatial dims."""
    _function = None

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode='zeros',
                 device=None, dtype=None):
        if padding_mode != 'zeros':
            raise ValueError(f'Only "zeros" padding mode is supported for '
                             f'{type(self).__name__}')
        n = self._num_spatial_dims
        super().__init__(in_channels, out_channels, _ntuple(kernel_size, n),
                         _ntuple(stride, n), _ntuple(padding, n), _ntuple(dilation, n), True,
                         _ntuple(output_padding, n), groups, bias, padding_mode,
                         device=device, dtype=dtype)

    def _output_padding(self, input, output_size, stride, padding, kernel_size,
                        num_spatial_dims, dilation=None):
        """The output_padding that makes the output exactly ``output_size``."""
        if output_size is None:
            return _ntuple(self.output_padding, num_spatial_dims)
        has_batch = input.dim() == num_spatial_dims + 2
        non_spatial = 2 if has_batch else 1
        output_size = list(output_size)
        if len(output_size) == non_spatial + num_spatial_dims:
            output_size = output_size[non_spatial:]
        if len(output_size) != num_spatial_dims:
            raise ValueError(f'ConvTranspose{num_spatial_dims}D: for '
                             f'{input.dim()}D input, output_size must have '
                             f'{num_spatial_dims} or {non_spatial + num_spatial_dims} '
                             f'elements (got {len(output_size)})')
        low, high = [], []
        for d in range(num_spatial_dims):
            size = ((input.size(d + non_spatial) - 1) * stride[d] - 2 * padding[d] +
                    (dilation[d] if dilation is not None else 1) * (kernel_size[d] - 1) + 1)
            low.append(size)
            high.append(size + stride[d] - 1)
        for d in range(num_spatial_dims):
            if not low[d] <= output_size[d] <= high[d]:
                raise ValueError(f'requested an output size of {output_size}, but valid sizes '
                                 f'range from {low} to {high} (for an input of '
                                 f'{input.size()[non_spatial:]})')
        return tuple(output_size[d] - low[d] for d in range(num_spatial_dims))

    def forward(self, input, output_size=None):
        if self.padding_mode != 'zeros':
            raise ValueError(f'Only `zeros` padding mode is supported for '
                             f'{type(self).__name__}')
        n = self._num_spatial_dims
        output_padding = self._output_padding(input, output_size, self.stride, self.padding,
                                              self.kernel_size, n, self.dilation)
        return type(self)._function(input, self.weight, self.bias, self.stride, self.padding,
                                    output_padding, self.groups, self.dilation)


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution: weight (C_in, C_out / groups, kW)."""
    _num_spatial_dims = 1
    _function = staticmethod(F.conv_transpose1d)


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution: weight (C_in, C_out / groups, kH, kW)."""
    _num_spatial_dims = 2
    _function = staticmethod(F.conv_transpose2d)


class ConvTranspose3d(_ConvTransposeNd):
    """3-D transposed convolution: weight (C_in, C_out / groups, kD, kH, kW)."""
    _num_spatial_dims = 3
    _function = staticmethod(F.conv_transpose3d)


# ---------------------------------------------------------------------------------------
# lazy forms: in_channels is read off the first input
# ---------------------------------------------------------------------------------------
class _LazyConvMixin:
    """Weight and bias stay uninitialised until the first forward tells ``in_channels``."""
    cls_to_become = None

    def _lazy_init(self, bias, device, dtype):
        self.in_channels = 0
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)
        self._lazy_hook = self.register_forward_pre_hook(_LazyConvMixin._infer)

    def reset_parameters(self):
        if self.in_channels and not self.__dict__.get('_lazy_building'):
            super().reset_parameters()

    def _in_channels_of(self, input):
        n = self._num_spatial_dims
        if input.dim() not in (n + 1, n + 2):
            raise RuntimeError(f'Expected {n + 1}D (unbatched) or {n + 2}D (batched) input to '
                               f'{type(self).__name__}, but got input of size: {input.shape}')
        return input.shape[1] if input.dim() == n + 2 else input.shape[0]

    @staticmethod
    def _infer(module, args):
        module.in_channels = module._in_channels_of(args[0])
        if module.in_channels % module.groups != 0:
            raise ValueError('in_channels must be divisible by groups')
        k = tuple(module.kernel_size)
        if module.transposed:
            shape = (module.in_channels, module.out_channels // module.groups) + k
        else:
            shape = (module.out_channels, module.in_channels // module.groups) + k
        module.weight.materialize(shape)
        if module.bias is not None:
            module.bias.materialize((module.out_channels,))
        module.reset_parameters()
        module._lazy_hook.remove()
        del module._lazy_hook
        module.__class__ = module.cls_to_become


def _lazy(base, name, transposed):
    def __init__(self, out_channels, kernel_size, *args, bias=True, device=None, dtype=None,
                 **kwargs):
        # Build with in_channels=groups (valid for any groups) and no bias, then go lazy.
        groups = kwargs.get('groups', 1)
        object.__setattr__(self, '_lazy_building', True)   # no weight init (no RNG draws)
        base.__init__(self, groups, out_channels, kernel_size, *args, bias=False,
                      device=device, dtype=dtype, **kwargs)
        del self.__dict__['_lazy_building']
        self._lazy_init(bias, device, dtype)

    cls = type(name, (_LazyConvMixin, base), {
        '__init__': __init__, 'cls_to_become': base, '__module__': __name__,
        '__doc__': f'A ``{base.__name__}`` whose ``in_channels`` is inferred from the first '
                   'input.'})
    return cls


LazyConv1d = _lazy(Conv1d, 'LazyConv1d', False)
LazyConv2d = _lazy(Conv2d, 'LazyConv2d', False)
LazyConv3d = _lazy(Conv3d, 'LazyConv3d', False)
LazyConvTranspose1d = _lazy(ConvTranspose1d, 'LazyConvTranspose1d', True)
LazyConvTranspose2d = _lazy(ConvTranspose2d, 'LazyConvTranspose2d', True)
LazyConvTranspose3d = _lazy(ConvTranspose3d, 'LazyConvTranspose3d', True)
