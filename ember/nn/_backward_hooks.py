"""Module backward hooks: identity nodes around a module's inputs and outputs capture the
gradients flowing out of and into it."""
from .._tensor import Tensor
from ..autograd.function import Function


class BackwardHookFunction(Function):
    """Passes tensors through; its backward reports their gradients to a callback."""

    @staticmethod
    def forward(ctx, callback, *tensors):
        ctx.callback = callback
        return tuple(t.view_as(t) for t in tensors)

    @staticmethod
    def backward(ctx, *grads):
        result = ctx.callback(grads)
        return (None,) + tuple(result if result is not None else grads)


class BackwardHook:
    """One forward call's worth of state for ``register_full_backward_hook``."""

    def __init__(self, module, hooks, pre_hooks):
        self.module = module
        self.hooks = hooks
        self.pre_hooks = pre_hooks
        self.grad_outputs = None
        self.n_inputs = 0
        self.input_positions = []

    def setup_input_hook(self, args):
        positions = [i for i, a in enumerate(args) if isinstance(a, Tensor) and
                     a.requires_grad]
        self.input_positions = positions
        if not positions or not self.hooks:
            return args
        wrapped = BackwardHookFunction.apply(self._on_input_grads, *[args[i] for i in positions])
        args = list(args)
        for i, t in zip(positions, wrapped):
            args[i] = t
        return tuple(args)

    def _on_input_grads(self, grads):
        result = None
        for hook in self.hooks.values():
            out = hook(self.module, grads, self.grad_outputs)
            if out is not None:
                grads = tuple(out)
                result = grads
        return result

    def setup_output_hook(self, result):
        single = isinstance(result, Tensor)
        outputs = (result,) if single else result
        if not isinstance(outputs, tuple):
            return result
        positions = [i for i, o in enumerate(outputs) if isinstance(o, Tensor) and
                     o.requires_grad]
        if not positions:
            return result
        wrapped = BackwardHookFunction.apply(self._on_output_grads, *[outputs[i] for i in positions])
        outputs = list(outputs)
        for i, t in zip(positions, wrapped):
            outputs[i] = t
        return outputs[0] if single else tuple(outputs)

    def _on_output_grads(self, grads):
        for hook in self.pre_hooks.values():
            out = hook(self.module, grads)
            if out is not None:
                grads = tuple(out)
        self.grad_outputs = grads
        if not self.input_positions and self.hooks:
            for hook in self.hooks.values():
                hook(self.module, (None,), grads)
        return grads
