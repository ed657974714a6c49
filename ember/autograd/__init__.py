"""Automatic differentiation: define-by-run graphs of ``Node`` objects walked by the engine."""
from .grad_mode import (no_grad, enable_grad, set_grad_enabled, inference_mode,  # noqa: F401
                        is_grad_enabled, is_inference_mode_enabled)
from .function import Function, FunctionCtx, once_differentiable, Node  # noqa: F401
from .engine import run_backward
from .variable import Variable  # noqa: F401
from .anomaly_mode import detect_anomaly, set_detect_anomaly  # noqa: F401
from .. import _tensor

__all__ = ['backward', 'grad', 'Function', 'no_grad', 'enable_grad', 'set_grad_enabled',
           'inference_mode', 'is_grad_enabled', 'Variable', 'detect_anomaly',
           'set_detect_anomaly']


def _as_tuple(x):
    if x is None:
        return None
    if isinstance(x, _tensor.Tensor):
        return (x,)
    return tuple(x)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate gradients of ``tensors`` into the ``.grad`` of the leaves they depend on."""
    tensors = _as_tuple(tensors)
    grads = _as_tuple(grad_tensors) or (None,) * len(tensors)
    inputs = _as_tuple(inputs)
    if inputs is not None and len(inputs) == 0:
        raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    run_backward(tensors, grads, retain_graph, create_graph, inputs=inputs, accumulate=True)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Gradients of ``outputs`` with respect to ``inputs``, returned (not accumulated)."""
    outputs = _as_tuple(outputs)
    inputs_tuple = _as_tuple(inputs)
    grads = _as_tuple(grad_outputs) or (None,) * len(outputs)
    if allow_unused is None:
        allow_unused = materialize_grads
    result = run_backward(outputs, grads, retain_graph, create_graph, inputs=inputs_tuple,
                          allow_unused=allow_unused, accumulate=False)
    if materialize_grads:
        from .._ops.creation import zeros_like
        result = tuple(zeros_like(i) if g is None else g for g, i in zip(result, inputs_tuple))
    return result


def _tensor_backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
    """Compute the gradient of this tensor w.r.t. graph leaves, accumulating into ``.grad``."""
    backward((self,), None if gradient is None else (gradient,), retain_graph, create_graph,
             inputs)


def _register_hook(self, hook):
    """Call ``hook(grad)`` when this tensor's gradient is computed; it may return a new grad."""
    from .function import _add_hook
    if not self._requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if self._grad_fn is None:
        if self._backward_hooks is None:
            self._backward_hooks = {}
        return _add_hook(self._backward_hooks, hook)
    node = self._grad_fn
    hooks = node.__dict__.setdefault('_tensor_hooks', {})
    return _add_hook(hooks.setdefault(self._output_nr, {}), hook)


def _retain_grad(self):
    """Keep ``.grad`` for this non-leaf tensor after backward."""
    import weakref
    if not self._requires_grad:
        raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
    if self._grad_fn is None or self._retains_grad:
        return
    node = self._grad_fn
    if node._retain_hooks is None:
        node._retain_hooks = {}
    node._retain_hooks[self._output_nr] = weakref.ref(self)
    self._retains_grad = True


def _register_post_accumulate_grad_hook(self, hook):
    from .function import _add_hook
    if self._grad_fn is not None:
        raise RuntimeError('post accumulate grad hooks cannot be registered on non-leaf tensors')
    if self._post_accumulate_hooks is None:
        self._post_accumulate_hooks = {}
    return _add_hook(self._post_accumulate_hooks, hook)


_tensor.Tensor.backward = _tensor_backward
_tensor.Tensor.register_hook = _register_hook
_tensor.Tensor.retain_grad = _retain_grad
_tensor.Tensor.register_post_accumulate_grad_hook = _register_post_accumulate_grad_hook


from .gradcheck import gradcheck, gradgradcheck, GradcheckError  # noqa: E402,F401
from . import functional, graph  # noqa: E402,F401
