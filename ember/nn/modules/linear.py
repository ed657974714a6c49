"""Linear layers: Identity, Linear, Bilinear, LazyLinear."""
import math

from .module import Module
from .. import functional as F
from .. import init
from ..parameter import Parameter, UninitializedParameter
from ..._ops.creation import empty
from ..._tensor import Tensor

__all__ = ['Identity', 'Linear', 'Bilinear', 'LazyLinear']


class Identity(Module):
    """Returns its input unchanged (arguments are accepted and ignored)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """``y = x A^T + b`` with ``weight`` of shape (out_features, in_features), initialised
    like PyTorch (Kaiming-uniform weight, uniform bias)."""

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(empty((out_features, in_features), device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter('bias', None)
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        if not isinstance(input, Tensor):
            return F.linear(input, self.weight, self.bias)   # PyTorch's TypeError
        if input.shape[-1:] != (self.in_features,) and input.dim() > 0:
            raise RuntimeError(
                f'mat1 and mat2 shapes cannot be multiplied '
                f'({input.numel() // input.shape[-1] if input.shape[-1] else 0}x'
                f'{input.shape[-1]} and {self.in_features}x{self.out_features})')
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return (f'in_features={self.in_features}, out_features={self.out_features}, '
                f'bias={self.bias is not None}')


class Bilinear(Module):
    """``y = x1^T A x2 + b``."""

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None,
                 dtype=None):
        super().__init__()
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        self.weight = Parameter(empty((out_features, in1_features, in2_features),
                                      device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter('bias', None)
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1 / math.sqrt(self.weight.size(1))
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (f'in1_features={self.in1_features}, in2_features={self.in2_features}, '
                f'out_features={self.out_features}, bias={self.bias is not None}')


class LazyLinear(Linear):
    """A Linear whose ``in_features`` is inferred from the first input."""
    cls_to_become = Linear

    def __init__(self, out_features, bias=True, device=None, dtype=None):
        Module.__init__(self)
        self.in_features = 0
        self.out_features = out_features
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)
        else:
            self.register_parameter('bias', None)
        self._lazy_hook = self.register_forward_pre_hook(LazyLinear._infer)

    def reset_parameters(self):
        if self.in_features:
            super().reset_parameters()

    @staticmethod
    def _infer(module, args):
        module.in_features = args[0].shape[-1]
        module.weight.materialize((module.out_features, module.in_features))
        if module.bias is not None:
            module.bias.materialize((module.out_features,))
        module.reset_parameters()
        module._lazy_hook.remove()
        module.__class__ = module.cls_to_become

    def extra_repr(self):
        return super().extra_repr() if self.in_features else \
            f'in_features=0, out_features={self.out_features}, bias={self.bias is not None}'
