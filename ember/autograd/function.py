"""Graph nodes and the two ways to define a differentiable op.

* ``Op``: ember's own operators. ``forward(ctx, *args)`` computes on raw arrays (``ctx`` is
  the node when a graph is being recorded, else None); ``backward(ctx, *grads)`` is written
  in ember tensor ops, so gradients of gradients come for free. The class name given by
  ``node_name`` is what ``grad_fn`` shows (``AddBackward0``).
* ``Function``: PyTorch's public custom-op API (``forward(ctx, ...)`` on tensors,
  ``ctx.save_for_backward``...).

Both produce ``Node`` objects that the engine walks.
"""
import re
import weakref

from ..autograd import grad_mode
from .._tensor import Tensor, make_tensor
from .. import _dtype as dt

__all__ = ['Node', 'AccumulateGrad', 'Op', 'Function', 'FunctionCtx', 'once_differentiable']

_grad_state = grad_mode.state

FREED_MESSAGE = (
    'Trying to backward through the graph a second time (or directly access saved tensors '
    'after they have already been freed). Saved intermediate values of the graph are freed '
    'when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to '
    'backward through the graph a second time or if you need to access saved tensors after '
    'calling backward.')


_NO_EDGE = (None, 0)


class Node:
    """A recorded operation: where gradients flow from one output back to its inputs."""
    __slots__ = ('next_functions', '_metas', '_saved', 'args', '__dict__', '__weakref__')

    # Rarely set state lives in the instance dict, defaulting to these.
    _saved_versions = ()
    _packed = False       # saved tensors went through saved_tensors_hooks' pack hook
    _released_arrays = ()  # names of extra arrays kept on the node, freed with saved tensors
    _freed = False
    _hooks = None
    _pre_hooks = None
    _retain_hooks = None

    def _connect(self, inputs):
        """Record edges to the inputs' nodes and their shapes/dtypes (for reducing grads)."""
        edges = []
        metas = []
        for t in inputs:
            if t is None or not t._requires_grad:
                edges.append(_NO_EDGE)
                metas.append(None)
                continue
            fn = t._grad_fn
            if fn is not None:
                edges.append((fn, t._output_nr))
            else:
                node = t._accumulator
                if node is None:
                    node = accumulator_of(t)
                edges.append((node, 0))
            metas.append((t._data.shape, t._dtype, t._device))
        self.next_functions = tuple(edges)
        self._metas = metas
        self._saved = None

    # ------------------------------------------------------------------ saved tensors
    def save(self, *tensors):
        """Keep tensors for backward, remembering their versions to detect in-place edits
        (or hand them to the innermost ``saved_tensors_hooks`` pack hook)."""
        hooks = _grad_state.saved_hooks
        if hooks:
            self._saved = tuple(None if t is None else PackedTensor(t, *hooks[-1])
                                for t in tensors)
            self._packed = True
            return
        self._saved = tensors
        self._saved_versions = tuple(None if t is None else t._version for t in tensors)

    @property
    def saved(self):
        saved = self._saved
        if saved is None:
            if self._freed:
                raise RuntimeError(FREED_MESSAGE)
            return ()
        if self._packed:
            return tuple(None if p is None else p.unpack() for p in saved)
        for t, version in zip(saved, self._saved_versions):
            if t is not None and t._version != version:
                node, nr = t._grad_fn, t._output_nr
                # each in-place op since the save put a node in front of the saving one
                for _ in range(t._version - version):
                    if node is None or not node.next_functions:
                        break
                    node, nr = node.next_functions[0]
                raise modified_inplace(t.type(), t._data.shape, node, nr, t._version, version)
        return saved

    def _release(self):
        """Free saved tensors after a backward that does not retain the graph."""
        if self._saved is not None:
            self._saved = None
            self._freed = True
            extra = self.__dict__
            if '_out_data' in extra or '_out_packed' in extra:  # a saved output goes too
                for name in ('_out_data', '_out_storage', '_out_packed'):
                    extra.pop(name, None)
            for name in self._released_arrays:   # arrays a subclass kept for its backward
                extra.pop(name, None)

    # ------------------------------------------------------------------ PyTorch's API
    def name(self):
        return type(self).__name__

    def __repr__(self):
        return f"<{type(self).__name__.rsplit('::', 1)[-1]} object at {hex(id(self))}>"

    @property
    def metadata(self):
        try:
            return self._metadata
        except AttributeError:
            self._metadata = {}
            return self._metadata

    def register_hook(self, fn):
        """``fn(grad_inputs, grad_outputs)`` runs after this node computes its gradients."""
        if self._hooks is None:
            self._hooks = {}
        return _add_hook(self._hooks, fn)

    def register_prehook(self, fn):
        """``fn(grad_outputs)`` runs before this node; it may return replacement grads."""
        if self._pre_hooks is None:
            self._pre_hooks = {}
        return _add_hook(self._pre_hooks, fn)

    def __call__(self, *grads):
        return self.backward(*grads)


class RemovableHandle:
    """Returned by ``register_hook``; ``remove()`` unregisters the hook."""
    _next_id = 0

    def __init__(self, hooks):
        self._hooks = weakref.ref(hooks) if not isinstance(hooks, dict) else hooks
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self):
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _add_hook(hooks, fn):
    handle = RemovableHandle(hooks)
    hooks[handle.id] = fn
    return handle


class AccumulateGrad(Node):
    """The node that adds incoming gradients into a leaf's ``.grad``.

    The leaf holds this node; the node refers back to the leaf weakly, so neither keeps the
    other alive in a cycle.
    """

    def __init__(self, variable):
        self._variable = weakref.ref(variable)
        self.next_functions = ()
        self._metas = [(variable._data.shape, variable._dtype, variable._device)]
        self._saved = None

    @property
    def variable(self):
        return self._variable()

    def name(self):
        return 'torch::autograd::AccumulateGrad'


def accumulator_of(leaf):
    """The (cached) AccumulateGrad node of a leaf that requires grad."""
    node = leaf._accumulator
    if node is None:
        node = leaf._accumulator = AccumulateGrad(leaf)
    return node


# ---------------------------------------------------------------------------------------
# ember's operators
# ---------------------------------------------------------------------------------------
class Op(Node):
    """Base of ember's operators: forward on arrays, backward in tensor ops.

    Subclasses set ``node_name`` (PyTorch's grad_fn name). ``apply`` runs forward and, when
    grad mode is on and an input requires grad, records the node. Tensor arguments are the
    graph inputs; every other argument is passed through to ``forward`` and kept on the node
    as ``ctx.args`` for backward. ``save_args`` lists the positions of tensor arguments that
    backward needs; ``save_output`` keeps the (first) output.
    """
    node_name = None
    save_args = ()
    save_output = False
    differentiable = True

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.node_name:
            cls.__name__ = cls.__qualname__ = cls.node_name

    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError

    def backward(self, *grads):
        raise NotImplementedError(f'the derivative for {self.name()} is not implemented')

    @classmethod
    def apply(cls, *args):
        """Run the op on tensors (and plain arguments); wraps outputs; records the graph."""
        arrays = []
        inputs = []
        device = None
        for a in args:
            if isinstance(a, Tensor):
                arrays.append(a._data)
                inputs.append(a)
                if device is None:
                    device = a._device
                elif a._device is not device:
                    check_same_device(inputs)
            else:
                arrays.append(a)
        record = _grad_state.enabled and cls.differentiable and \
            any(t._requires_grad for t in inputs)
        if not record:
            return wrap_outputs(cls.forward(None, *arrays), device)
        node = cls.__new__(cls)
        node._connect(inputs)
        out = cls.forward(node, *arrays)
        # Backward reads plain arguments from ctx.args; tensors it needs go through save().
        node.args = tuple(None if isinstance(a, Tensor) else a for a in args)
        if cls.save_args:
            node.save(*[args[i] for i in cls.save_args])
        return attach(node, wrap_outputs(out, device), cls.save_output)

    @property
    def output(self):
        """The saved first output, re-attached to this node (for ops whose backward uses it)."""
        if self._saved is None:
            raise RuntimeError(FREED_MESSAGE)
        packed = self.__dict__.get('_out_packed')
        if packed is not None:
            return packed.unpack(self)
        if self._out_storage._version != self._out_version:
            data = self._out_data
            raise modified_inplace(_legacy_type(data.dtype), data.shape, self, 0,
                                   self._out_storage._version, self._out_version)
        data = self._out_data
        t = make_tensor(data, dt.from_numpy_dtype(data.dtype), self._out_device)
        t._storage = self._out_storage
        t._requires_grad = True
        t._grad_fn = self
        return t


def wrap_outputs(out, device):
    if type(out) is tuple:
        return tuple(make_tensor(o, dt.from_numpy_dtype(o.dtype), device) for o in out)
    return make_tensor(out, dt.from_numpy_dtype(out.dtype), device)


def attach(node, outputs, save_output=False):
    """Make ``node`` the grad_fn of the (floating point) outputs."""
    if type(outputs) is tuple:
        for i, t in enumerate(outputs):
            if t._dtype.is_floating_point or t._dtype.is_complex:
                t._requires_grad = True
                t._grad_fn = node
                if i:
                    t._output_nr = i
        first = outputs[0]
    else:
        outputs._requires_grad = True
        outputs._grad_fn = node
        first = outputs
    if save_output:
        hooks = _grad_state.saved_hooks
        if hooks:
            node._out_packed = PackedTensor(first, *hooks[-1], is_output=True)
            if node._saved is None:
                node._saved = node._saved_versions = ()
            return outputs
        storage = first._storage
        if storage is None:
            storage = first.untyped_storage()
        node._out_data = first._data
        node._out_device = first._device
        node._out_storage = storage
        node._out_version = storage._version
        if node._saved is None:
            node._saved = node._saved_versions = ()
    return outputs


class PackedTensor:
    """A saved tensor as ``saved_tensors_hooks``' pack hook returned it, with where the original
    sat in the graph, so that the unpacked tensor is re-attached there (double backward through
    it then reaches the same nodes), as PyTorch's SavedVariable does."""
    __slots__ = ('packed', 'unpack_hook', 'grad_fn', 'output_nr', 'requires_grad',
                 'accumulator')

    def __init__(self, tensor, pack_hook, unpack_hook, is_output=False):
        self.packed = pack_hook(tensor)
        self.unpack_hook = unpack_hook
        self.requires_grad = tensor._requires_grad
        # A saved output's grad_fn is the saving node itself: given at unpack, not held here.
        self.grad_fn = None if is_output else tensor._grad_fn
        self.output_nr = tensor._output_nr
        self.accumulator = (accumulator_of(tensor) if tensor._requires_grad and
                            tensor._grad_fn is None and not is_output else None)

    def unpack(self, node=None):
        value = self.unpack_hook(self.packed)
        if not isinstance(value, Tensor):
            raise TypeError('Output of saved tensor unpack_hook expected to be a Tensor but got '
                            f'result of type {type(value).__name__}')
        t = make_tensor(value._data, value._dtype, value._device)
        t._storage = value._storage
        t._stride = value._stride
        t._requires_grad = self.requires_grad
        t._grad_fn = node if node is not None else self.grad_fn
        if self.output_nr:
            t._output_nr = self.output_nr
        if self.accumulator is not None:
            t._accumulator = self.accumulator
        return t


def check_same_device(tensors):
    """PyTorch's error when one op mixes devices (0-d cpu tensors may join cuda ones)."""
    devices = []
    for t in tensors:
        if t._device.type == 'cpu' and t._data.ndim == 0:
            continue
        if t._device not in devices:
            devices.append(t._device)
    if len(devices) > 1:
        names = sorted(str(d) for d in devices)[::-1]
        raise RuntimeError('Expected all tensors to be on the same device, but found at least '
                           f'two devices, {names[0]} and {names[1]}!')


# ---------------------------------------------------------------------------------------
# PyTorch's public custom Function
# ---------------------------------------------------------------------------------------
class FunctionCtx:
    """What ``forward`` stores for ``backward`` in a custom Function."""

    def save_for_backward(self, *tensors):
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError('save_for_backward can only save variables, but argument '
                                f'{tensors.index(t)} is of type {type(t).__name__}')
        self._to_save = tensors

    def mark_dirty(self, *tensors):
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors):
        self._non_differentiable = {id(t) for t in tensors}

    def set_materialize_grads(self, value):
        self.materialize_grads = bool(value)


class BackwardCFunction(Node, FunctionCtx):
    """The node (and ctx) of a custom Function; named ``<Function>Backward``."""
    materialize_grads = True
    _non_differentiable = frozenset()

    @property
    def saved_tensors(self):
        return self.saved

    @property
    def needs_input_grad(self):
        return self._needs_input_grad

    def backward(self, *grads):
        result = self._forward_cls.backward(self, *grads)
        if not isinstance(result, tuple):
            result = (result,)
        n_in = len(self._input_positions)
        n_args = self._n_args
        if len(result) < n_args:
            if len(result) != n_args:
                raise RuntimeError(f'function {self.name()} returned an incorrect number of '
                                   f'gradients (expected {n_args}, got {len(result)})')
        if len(result) > n_args:
            extra = result[n_args:]
            if any(g is not None for g in extra):
                raise RuntimeError(f'function {self.name()} returned an incorrect number of '
                                   f'gradients (expected {n_args}, got {len(result)})')
        return tuple(result[i] for i in self._input_positions)[:n_in]


class _FunctionMeta(type):
    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        cls._backward_cls = type(name + 'Backward', (BackwardCFunction,),
                                 {'_forward_cls': cls})


class Function(metaclass=_FunctionMeta):
    """Base class for custom differentiable operations (PyTorch's ``autograd.Function``).

    Subclasses define static ``forward(ctx, *args)`` and ``backward(ctx, *grad_outputs)``
    (or ``forward(*args)`` plus ``setup_context(ctx, inputs, output)``) and are called
    through ``apply``.
    """

    def __init__(self, *args, **kwargs):
        pass

    @staticmethod
    def forward(*args, **kwargs):
        raise NotImplementedError('You must implement the forward function for custom '
                                  'autograd.Function.')

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError('You must implement either the backward or vjp method for '
                                  'your custom autograd.Function to use it with backward '
                                  'mode AD.')

    vjp = backward

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError('setup_context is not implemented.')

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = cls._backward_cls.__new__(cls._backward_cls)
        inputs = [a for a in args if isinstance(a, Tensor)]
        ctx._input_positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx._n_args = len(args)
        ctx._needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad
                                      for a in args)
        uses_setup = cls.setup_context is not Function.setup_context
        with grad_mode.no_grad():
            if uses_setup:
                output = cls.forward(*args, **kwargs)
            else:
                output = cls.forward(ctx, *args, **kwargs)
        if uses_setup:
            cls.setup_context(ctx, args, output)
        record = _grad_state.enabled and any(t._requires_grad for t in inputs)
        is_tuple = isinstance(output, tuple)
        outputs = output if is_tuple else (output,)
        if record:
            ctx._connect(inputs)
            non_diff = getattr(ctx, '_non_differentiable', ())
            dirty = {id(t) for t in getattr(ctx, '_dirty', ())}
            wrapped = []
            for i, out in enumerate(outputs):
                if not isinstance(out, Tensor):
                    wrapped.append(out)
                    continue
                if id(out) in non_diff:
                    wrapped.append(out)
                    continue
                if any(out is t for t in inputs) and id(out) not in dirty:
                    out = out.view_as(out)
                if id(out) in dirty:
                    out._grad_fn = None
                out._requires_grad = True
                out._grad_fn = ctx
                if i:
                    out._output_nr = i
                wrapped.append(out)
            outputs = tuple(wrapped)
            ctx._n_outputs = len(outputs)
            ctx._output_metas = [(o._data.shape, o._dtype, o._device)
                                 if isinstance(o, Tensor) else None for o in outputs]
            if getattr(ctx, '_to_save', None) is not None:
                ctx.save(*ctx._to_save)
                del ctx._to_save
        return outputs if is_tuple else outputs[0]


def once_differentiable(fn):
    """Decorator for a backward that is not itself differentiable (runs without grad)."""
    import functools

    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with grad_mode.no_grad():
            return fn(ctx, *args)
    return wrapper


def _legacy_type(np_dtype):
    from .._ops.creation import empty
    return empty(0, dtype=dt.from_numpy_dtype(np_dtype)).type()


def modified_inplace(type_name, shape, node, output_nr, version, expected):
    """PyTorch's error for a saved tensor changed in place before backward used it: a
    tensor made by an op is named by that op (its node's name without ``Backward0``)."""
    from .grad_mode import state
    made_by = '' if node is None else \
        f', which is output {output_nr} of {re.sub(r"Backward[0-9]*$", "", node.name())},'
    hint = ('the backtrace further above shows the operation that failed to compute '
            'its gradient. The variable in question was changed in there or anywhere later. '
            'Good luck!') if state.anomaly else (
        'enable anomaly detection to find the operation that failed to compute its '
        'gradient, with ember.autograd.set_detect_anomaly(True, check_nan=False).')
    return RuntimeError('one of the variables needed for gradient computation has been '
                        f'modified by an inplace operation: [{type_name} {list(shape)}]'
                        f'{made_by} is at version {version}; expected version {expected} '
                        f'instead. Hint: {hint}')
