"""The backward engine: one topological pass over the recorded graph, no recursion.

Gradients arriving at a node are summed per output; a node runs once all its consumers have
delivered. Incoming gradients are reduced to each input's shape (broadcasting) and cast to
its dtype here, once, so op backward formulas need not care.
"""
import sys

import numpy as np

from . import grad_mode
from .function import AccumulateGrad, accumulator_of
from .._tensor import Tensor, make_tensor, make_view

__all__ = ['run_backward']


def _root_grads(outputs, grad_outputs, create_graph):
    roots = []
    for i, (out, grad) in enumerate(zip(outputs, grad_outputs)):
        if not out._requires_grad:
            raise RuntimeError(f'element {i} of tensors does not require grad and does not '
                               'have a grad_fn')
        if grad is None:
            if out._data.size != 1:
                raise RuntimeError('grad can be implicitly created only for scalar outputs')
            if not out._dtype.is_floating_point:
                raise RuntimeError('grad can be implicitly created only for real scalar '
                                   f'outputs but got {out._dtype}')
            grad = make_tensor(_ones_like(out._data), out._dtype, out._device)
        elif not isinstance(grad, Tensor):
            raise TypeError('gradients can be either Tensors or None, but got '
                            f'{type(grad).__name__}')
        elif grad._data.shape != out._data.shape:
            from .._tensor import Size
            raise RuntimeError(f'Mismatch in shape: grad_output[{i}] has a shape of '
                               f'{Size(grad._data.shape)} and output[{i}] has a shape of '
                               f'{Size(out._data.shape)}.')
        elif grad._dtype is not out._dtype and (grad._dtype.is_complex !=
                                                out._dtype.is_complex):
            raise RuntimeError('For complex Tensors, both grad_output and output are required '
                               'to have the same dtype.')
        node = out._grad_fn if out._grad_fn is not None else accumulator_of(out)
        roots.append((node, out._output_nr, grad))
    return roots


def _ones_like(array):
    out = array.copy()
    out[...] = 1
    return out


def _collect(roots):
    """Count, for every node reachable from the roots, how many edges point at it."""
    dependencies = {}
    seen = set()
    stack = [node for node, _, _ in roots]
    for node in stack:
        seen.add(node)
    while stack:
        node = stack.pop()
        for next_node, _ in node.next_functions:
            if next_node is None:
                continue
            dependencies[next_node] = dependencies.get(next_node, 0) + 1
            if next_node not in seen:
                seen.add(next_node)
                stack.append(next_node)
    return dependencies, seen


def _needed(nodes, targets):
    """Nodes from which some target node can be reached (the rest need not run)."""
    needed = set(targets)
    # Reverse reachability by repeated sweeps over a topological-ish order would need the
    # reverse graph; build it once.
    parents = {}
    for node in nodes:
        for next_node, _ in node.next_functions:
            if next_node is not None:
                parents.setdefault(next_node, []).append(node)
    stack = list(targets)
    while stack:
        node = stack.pop()
        for parent in parents.get(node, ()):
            if parent not in needed:
                needed.add(parent)
                stack.append(parent)
    return needed


def _reduce_to(grad, meta, node=None, index=0):
    """Sum a broadcast gradient back to an input's shape, and cast to its dtype."""
    shape, dtype, _ = meta
    if grad._data.shape != shape:
        try:
            grad = grad.sum_to_size(shape)
        except RuntimeError:
            raise RuntimeError(f'Function {node.name() if node is not None else "backward"} '
                               f'returned an invalid gradient at index {index} - got '
                               f'{list(grad._data.shape)} but expected shape compatible with '
                               f'{list(shape)}') from None
    if grad._dtype is not dtype:
        if grad._dtype.is_complex and not dtype.is_complex:
            grad = grad.real   # a real input's gradient is the real part, silently
        if grad._dtype is not dtype:
            grad = grad.to(dtype)
    return grad


def _accumulate(buffer, nr, grad):
    previous = buffer.get(nr)
    if previous is None:
        buffer[nr] = grad
    else:
        buffer[nr] = previous + grad


def _call_tensor_hooks(hooks, grad):
    for hook in list(hooks.values()):
        result = hook(grad)
        if result is not None:
            if grad is not None:
                _check_hook_result(hook, grad, result)
            grad = result
    return grad


def _check_hook_result(hook, grad, result):
    """PyTorch's errors for a tensor hook whose result cannot stand for the gradient."""
    name = getattr(hook, '__name__', type(hook).__name__)
    if not isinstance(result, Tensor):
        raise TypeError(f"expected Tensor, but hook returned '{type(result).__name__}'")
    if result._dtype is not grad._dtype or result._device is not grad._device:
        raise RuntimeError(f"hook '{name}' has changed the type of value (was {grad.type()} "
                           f'got {result.type()})')
    if result._data.shape != grad._data.shape:
        raise RuntimeError(f"hook '{name}' has changed the size of value")


def run_backward(outputs, grad_outputs, retain_graph, create_graph, inputs=None,
                 allow_unused=True, accumulate=True):
    """Backpropagate from ``outputs``. With ``accumulate`` (``Tensor.backward``) gradients
    land in ``.grad``; without (``autograd.grad``) the grads of ``inputs`` are returned."""
    if retain_graph is None:
        retain_graph = create_graph
    roots = _root_grads(outputs, grad_outputs, create_graph)
    dependencies, nodes = _collect(roots)

    # Where the grads of explicitly requested inputs are read off the graph.
    captures = None
    if inputs is not None:
        captures = {}
        for i, t in enumerate(inputs):
            if not isinstance(t, Tensor):
                raise TypeError('inputs to backward/grad must be Tensors')
            if not t._requires_grad:
                raise RuntimeError('One of the differentiated Tensors does not require grad')
            node = t._grad_fn if t._grad_fn is not None else accumulator_of(t)
            captures.setdefault((node, t._output_nr), []).append(i)
        needed = _needed(nodes, [node for node, _ in captures])
    else:
        needed = None
    results = [None] * (len(inputs) if inputs is not None else 0)

    buffers = {}
    for node, nr, grad in roots:
        _accumulate(buffers.setdefault(node, {}), nr, grad)
    ready = [node for node, _, _ in roots if dependencies.get(node, 0) == 0]
    ready = list(dict.fromkeys(ready))
    previous_mode = grad_mode.state.enabled
    grad_mode.state.enabled = create_graph
    try:
        while ready:
            node = ready.pop()
            buffer = buffers.pop(node, {})
            if needed is not None and node not in needed:
                continue
            grads = _run_pre_hooks(node, buffer)
            if captures is not None:
                for (cap_node, cap_nr), positions in captures.items():
                    if cap_node is node:
                        g = grads.get(cap_nr)
                        if isinstance(node, AccumulateGrad) and g is not None and \
                                node.variable._backward_hooks:
                            g = _call_tensor_hooks(node.variable._backward_hooks, g)
                        for p in positions:
                            results[p] = g
            if isinstance(node, AccumulateGrad):
                if accumulate and (captures is None or (node, 0) in captures):
                    # Popped, not read: the leaf may then take the buffer (see below).
                    _accumulate_into_leaf(node, grads.pop(0, None), create_graph)
                continue
            if captures is not None and not accumulate and not any(
                    next_node is not None and next_node in needed
                    for next_node, _ in node.next_functions):
                continue
            if captures is not None and accumulate and node.next_functions and not any(
                    next_node in needed for next_node, _ in node.next_functions
                    if next_node is not None):
                continue
            input_grads = _call_node(node, grads)
            if not retain_graph:
                node._release()   # saved tensors go now, not at the end of backward
            if node._hooks:
                for hook in list(node._hooks.values()):
                    result = hook(input_grads, tuple(grads.get(i) for i in range(
                        max(grads) + 1 if grads else 1)))
                    if result is not None:
                        input_grads = result
            for index, ((next_node, nr), grad, meta) in enumerate(zip(
                    node.next_functions, input_grads, node._metas)):
                if next_node is None:
                    continue
                if grad is not None:
                    if meta is not None:
                        grad = _reduce_to(grad, meta, node, index)
                    _accumulate(buffers.setdefault(next_node, {}), nr, grad)
                remaining = dependencies[next_node] - 1
                dependencies[next_node] = remaining
                if remaining == 0:
                    ready.append(next_node)
            # Drop this node's references to the gradients it passed on, so that a leaf
            # further down can tell an unshared gradient (and take it without a copy).
            grad = input_grads = grads = buffer = None
    finally:
        grad_mode.state.enabled = previous_mode
    if inputs is not None and accumulate:
        # backward(inputs=...) fills .grad of the non-leaf tensors named too, as PyTorch
        for t, g in zip(inputs, results):
            if t._grad_fn is not None and g is not None:
                g = g if create_graph else g.detach()
                t._grad = g.clone() if t._grad is None else t._grad + g
    if inputs is not None and not accumulate:
        for i, r in enumerate(results):
            if r is None and not allow_unused:
                raise RuntimeError(f'The differentiated Tensor at index {i} appears to not have '
                                   'been used in the graph. Set allow_unused=True if this is '
                                   'the desired behavior.')
        return tuple(results)
    return None


def _run_pre_hooks(node, buffer):
    if isinstance(node, AccumulateGrad):
        return buffer   # a leaf's hooks run in _accumulate_into_leaf, after its tensor hooks
    tensor_hooks = node.__dict__.get('_tensor_hooks')
    if tensor_hooks:
        for nr, hooks in tensor_hooks.items():
            if buffer.get(nr) is not None:
                buffer[nr] = _call_tensor_hooks(hooks, buffer[nr])
    if node._retain_hooks:
        for nr, ref in node._retain_hooks.items():
            t = ref()
            g = buffer.get(nr)
            if t is not None and g is not None:
                if t._grad is None:
                    t._grad = g.detach() if not grad_mode.state.enabled else g
                    t._grad = t._grad.clone() if not grad_mode.state.enabled else t._grad
                else:
                    t._grad = t._grad + g
    if node._pre_hooks:
        n = max(buffer) + 1 if buffer else 1
        grads = tuple(buffer.get(i) for i in range(n))
        for hook in list(node._pre_hooks.values()):
            result = hook(grads)
            if result is not None:
                grads = tuple(result)
        buffer = {i: g for i, g in enumerate(grads)}
    return buffer


def _call_node(node, grads):
    n = getattr(node, '_n_outputs', None)
    if n is None:
        n = max(grads) + 1 if grads else 1
    args = [grads.get(i) for i in range(n)]
    if getattr(node, 'materialize_grads', False):
        metas = node._output_metas
        for i, g in enumerate(args):
            if g is None and metas[i] is not None:
                shape, dtype, device = metas[i]
                from .._ops.creation import zeros
                args[i] = zeros(shape, dtype=dtype, device=device)
    elif not any(g is not None for g in args):
        # No gradient reached this node (an input's backward gave None): nothing flows on.
        return (None,) * len(node.next_functions)
    result = node.backward(*args)
    if not isinstance(result, tuple):
        result = (result,)
    if len(result) != len(node.next_functions):
        raise RuntimeError(f'function {node.name()} returned an incorrect number of gradients '
                           f'(expected {len(node.next_functions)}, got {len(result)})')
    if grad_mode.state.anomaly and grad_mode.state.anomaly_nan:
        from .anomaly_mode import check_nan
        check_nan(node, result)
    return result


_getrefcount = sys.getrefcount


def _ownership(grad):
    """Reference counts of a gradient, its array, and (for a view) its base tensor, storage
    and the base's array. Compared with the counts of a gradient nothing else holds."""
    base = grad._base
    storage = grad._storage
    return (_getrefcount(grad), _getrefcount(grad._data),
            None if base is None else _getrefcount(base),
            None if storage is None else _getrefcount(storage),
            None if base is None else _getrefcount(base._data))


def _unshared_counts():
    """The counts _ownership reports, on this interpreter, for an unshared fresh gradient and
    for an unshared view of one (``mm(...).t()``, the weight gradient of ``linear``)."""
    def fresh():
        return make_tensor(np.empty((2, 3), np.float32), None)
    plain = fresh()
    plain_counts = _takeable(plain, None)
    root = fresh()
    middle = make_view(root, root._data.T, None)
    view = make_view(middle, middle._data.T, None)
    del root, middle
    return plain_counts, _takeable(view, None)


def _takeable(grad, unshared=False):
    """Whether nothing but the engine holds ``grad``'s memory (so a leaf may keep it).
    With ``unshared=None``, the counts seen here (for calibration: same frames, same refs)."""
    base = grad._base
    if unshared is None:
        return _ownership(grad)
    if base is None:
        return grad._storage is None and grad._data.base is None and \
            _ownership(grad) == _UNSHARED_PLAIN
    return (grad._data.base is base._data and base._data.base is None and
            base._storage is grad._storage and grad._data.size == base._data.size and
            base._base is None and _ownership(grad) == _UNSHARED_VIEW)


_UNSHARED_PLAIN, _UNSHARED_VIEW = _unshared_counts()


def _accumulate_into_leaf(node, grad, create_graph):
    if grad is None:
        return
    leaf = node.variable
    if leaf is None or leaf._no_grad_view:  # freed, or a view made under no_grad: no .grad
        return
    if leaf._backward_hooks:
        grad = _call_tensor_hooks(leaf._backward_hooks, grad)
    if node._pre_hooks:
        for hook in list(node._pre_hooks.values()):
            result = hook((grad,))
            if result is not None:
                grad = result[0]
    if create_graph:
        leaf._grad = grad if leaf._grad is None else leaf._grad + grad
    elif leaf._grad is None:
        take = _takeable(grad)   # first: a local naming grad._data would count as a holder
        data = grad._data
        if not (take and type(data) is np.ndarray and data.flags.writeable and
                grad._dtype is leaf._dtype and data.strides == leaf._data.strides):
            # Own the memory: this gradient is also held elsewhere (sent down several edges,
            # kept by a hook, a view of someone's tensor). Otherwise the leaf takes it as it
            # is, as PyTorch's AccumulateGrad steals an unshared gradient: no copy, no fresh
            # pages to fault in.
            data = np.empty_like(leaf._data) if leaf._device.type == 'cpu' else \
                leaf._data.copy()
            data[...] = grad._data
        leaf._grad = make_tensor(data, leaf._dtype, leaf._device)
    else:
        existing = leaf._grad
        if existing._grad_fn is None and not existing._requires_grad:
            existing._data += grad._data
            existing._bump_version()
        else:
            leaf._grad = (existing + grad).detach()
    if leaf._post_accumulate_hooks:
        for hook in list(leaf._post_accumulate_hooks.values()):
            hook(leaf)
