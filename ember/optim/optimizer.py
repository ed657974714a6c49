"""Optimizer: the base class of every optimization algorithm.

Follows PyTorch's structure: ``defaults`` fill in each entry of ``param_groups`` (a list of
dicts holding ``params`` and per-group options), ``state`` maps each parameter to a dict of
its running buffers, ``state_dict()`` replaces parameters by their integer position (in
group order) so a saved state loads into a fresh optimizer, and ``step`` is wrapped once per
class so step pre/post hooks run around it.

The concrete optimizers update parameters in place on their arrays (see ``_kernels``),
vectorised per parameter, following PyTorch's single-tensor formulas operation for operation.
"""
import functools
import itertools
import warnings
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from copy import deepcopy

from .. import _dtype
from .._tensor import Tensor
from ..autograd import grad_mode

__all__ = ['Optimizer', 'register_optimizer_step_pre_hook',
           'register_optimizer_step_post_hook', 'required']

_global_optimizer_pre_hooks = OrderedDict()
_global_optimizer_post_hooks = OrderedDict()


class _RequiredParameter:
    """Marks an option (like SGD's ``lr`` in old releases) that each group must give."""

    def __repr__(self):
        return '<required parameter>'


required = _RequiredParameter()


class RemovableHandle:
    """Returned by hook registration; ``remove()`` unregisters the hook."""
    _next_id = itertools.count()

    def __init__(self, hooks_dict):
        self.hooks_dict = hooks_dict
        self.id = next(RemovableHandle._next_id)

    def remove(self):
        self.hooks_dict.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _add_hook(hooks, hook, prepend=False):
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


def register_optimizer_step_pre_hook(hook):
    """Register ``hook(optimizer, args, kwargs)`` to run before every optimizer's step; it
    may return ``(new_args, new_kwargs)``."""
    return _add_hook(_global_optimizer_pre_hooks, hook)


def register_optimizer_step_post_hook(hook):
    """Register ``hook(optimizer, args, kwargs)`` to run after every optimizer's step."""
    return _add_hook(_global_optimizer_post_hooks, hook)


def _typename(obj):
    """``torch.typename``: a tensor's type string, or an object's qualified class name."""
    if isinstance(obj, Tensor):
        return obj.type()
    cls = type(obj)
    module = cls.__module__
    if module in ('builtins', '__builtin__', None):
        return cls.__qualname__
    return f'{module}.{cls.__qualname__}'


def _get_scalar_dtype(is_fused=None):
    """The dtype of scalar state such as ``step``: float64 under a float64 default dtype."""
    if is_fused:
        return _dtype.float32
    return _dtype.float64 if _dtype.get_default_dtype() is _dtype.float64 else _dtype.float32


def _to_scalar(x):
    """A hyperparameter as a Python number (a one-element tensor gives its value)."""
    if isinstance(x, Tensor):
        return x.item()
    return x


def _get_value(x):
    return x.item() if isinstance(x, Tensor) else x


def _scalar_tensor(value, dtype, device=None):
    """A 0-d tensor holding ``value`` (the ``step`` counters and similar state)."""
    from .._ops.creation import tensor
    return tensor(value, dtype=dtype, device=device)


def _zeros_state(p):
    """A zero buffer shaped and laid out like parameter ``p`` (``zeros_like``)."""
    from .._ops.creation import zeros_like
    from .. import _memory_format
    return zeros_like(p, memory_format=_memory_format.preserve_format)


def _check_differentiable(differentiable):
    if differentiable:
        raise NotImplementedError(
            "ember's optimizers update parameters in place outside autograd: "
            'differentiable=True is not supported')


def _use_grad_for_differentiable(func):
    """Run ``step`` with gradient recording off (on only for ``differentiable`` optimizers)."""

    @functools.wraps(func)
    def _use_grad(self, *args, **kwargs):
        with grad_mode.set_grad_enabled(self.defaults.get('differentiable', False)):
            return func(self, *args, **kwargs)
    return _use_grad


class Optimizer:
    """Base class for all optimizers.

    Args:
        params (iterable): the tensors to optimize, an iterable of ``(name, tensor)`` pairs
            (as ``named_parameters()`` gives), or an iterable of dicts each defining a
            parameter group (``{'params': [...], 'lr': ...}``).
        defaults (dict): default values of the optimization options, used by every group
            that does not set them.

    Parameters must come in an order that is the same from run to run (not a set).
    """

    def __init__(self, params, defaults):
        self.defaults = defaults
        self._optimizer_step_pre_hooks = OrderedDict()
        self._optimizer_step_post_hooks = OrderedDict()
        self._optimizer_state_dict_pre_hooks = OrderedDict()
        self._optimizer_state_dict_post_hooks = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks = OrderedDict()
        self._optimizer_load_state_dict_post_hooks = OrderedDict()
        self._patch_step_function()

        if isinstance(params, Tensor):
            raise TypeError('params argument given to the optimizer should be an iterable of '
                            'Tensors or dicts, but got ' + _typename(params))

        self.state = defaultdict(dict)
        self.param_groups = []

        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError('optimizer got an empty parameter list')
        if not isinstance(param_groups[0], dict):
            param_groups = [{'params': param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    # ------------------------------------------------------------------ pickling and repr
    def __getstate__(self):
        return {'defaults': self.defaults, 'state': self.state,
                'param_groups': self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        for name in ('_optimizer_step_pre_hooks', '_optimizer_step_post_hooks',
                     '_optimizer_state_dict_pre_hooks', '_optimizer_state_dict_post_hooks',
                     '_optimizer_load_state_dict_pre_hooks',
                     '_optimizer_load_state_dict_post_hooks'):
            if name not in self.__dict__:
                setattr(self, name, OrderedDict())
        self._patch_step_function()
        self.defaults.setdefault('differentiable', False)

    def __repr__(self):
        text = type(self).__name__ + ' ('
        for i, group in enumerate(self.param_groups):
            text += f'\nParameter Group {i}\n'
            for key in sorted(group.keys()):
                if key != 'params':
                    text += f'    {key}: {group[key]}\n'
        return text + ')'

    # ------------------------------------------------------------------ step and hooks
    def _optimizer_step_code(self):
        """Called after every step (PyTorch's profiler entry point); does nothing."""

    @staticmethod
    def profile_hook_step(func):
        """Wrap a ``step`` function so the global and per-optimizer hooks run around it."""

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            self = args[0]
            if _global_optimizer_pre_hooks or self._optimizer_step_pre_hooks:
                for pre_hook in itertools.chain(_global_optimizer_pre_hooks.values(),
                                                self._optimizer_step_pre_hooks.values()):
                    result = pre_hook(self, args, kwargs)
                    if result is not None:
                        if isinstance(result, tuple) and len(result) == 2:
                            args, kwargs = result
                        else:
                            raise RuntimeError(f'{func} must return None or a tuple of '
                                               f'(new_args, new_kwargs), but got {result}.')
            out = func(*args, **kwargs)
            self._optimizer_step_code()
            if self._optimizer_step_post_hooks or _global_optimizer_post_hooks:
                for post_hook in itertools.chain(self._optimizer_step_post_hooks.values(),
                                                 _global_optimizer_post_hooks.values()):
                    post_hook(self, args, kwargs)
            return out

        return wrapper

    def _patch_step_function(self):
        cls = type(self)
        if not getattr(cls.step, 'hooked', None):
            cls.step = self.profile_hook_step(cls.step)
            cls.step.hooked = True

    def register_step_pre_hook(self, hook):
        """Register ``hook(optimizer, args, kwargs)`` to run before ``step``; it may return
        ``(new_args, new_kwargs)``. Returns a handle whose ``remove()`` unregisters it."""
        return _add_hook(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook):
        """Register ``hook(optimizer, args, kwargs)`` to run after ``step``."""
        return _add_hook(self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook, prepend=False):
        """``hook(optimizer)`` runs before ``state_dict`` builds the dict."""
        return _add_hook(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend=False):
        """``hook(optimizer, state_dict)`` runs after ``state_dict``; it may return a new
        dict."""
        return _add_hook(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend=False):
        """``hook(optimizer, state_dict)`` runs before loading; it may return a new dict."""
        return _add_hook(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend=False):
        """``hook(optimizer)`` runs after ``load_state_dict``."""
        return _add_hook(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    def step(self, closure=None):
        """Perform one optimization step (``closure`` re-evaluates the model and returns the
        loss; optional for most optimizers)."""
        raise NotImplementedError

    @staticmethod
    def _closure_loss(closure):
        """The loss from ``closure`` (run with grad enabled), or None without one."""
        if closure is None:
            return None
        with grad_mode.enable_grad():
            return closure()

    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all optimized tensors: to None (the default), or to zeros
        with ``set_to_none=False``."""
        for group in self.param_groups:
            for p in group['params']:
                grad = p.grad
                if grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if grad.grad_fn is not None:
                        grad.detach_()
                    else:
                        grad.requires_grad_(False)
                    grad.zero_()

    # ------------------------------------------------------------------ param groups
    def add_param_group(self, param_group):
        """Add a parameter group (a dict with ``params`` and optional per-group options),
        e.g. to train layers that were frozen so far."""
        if not isinstance(param_group, dict):
            raise TypeError(f'param_group must be a dict, but got {type(param_group)}')

        params = param_group['params']
        if isinstance(params, Tensor):
            param_group['params'] = [params]
        elif isinstance(params, set):
            raise TypeError('optimizer parameters need to be organized in ordered collections, '
                            'but the ordering of tensors in sets will change between runs. '
                            'Please use a list instead.')
        else:
            param_group['params'] = list(params)

        tensors = []
        names = []
        for param in param_group['params']:
            if isinstance(param, tuple):
                names.append(param[0])
                tensors.append(param[1])
            else:
                tensors.append(param)
        param_group['params'] = tensors
        if names:
            if len(names) == len(tensors):
                param_group['param_names'] = names
            else:
                raise ValueError('all optimizer params should be with/without names. Some '
                                 'param names are missing')

        for param in tensors:
            if not isinstance(param, Tensor):
                raise TypeError('optimizer can only optimize Tensors, but one of the params '
                                'is ' + _typename(param))
            if not self.defaults.get('differentiable', None) and \
                    not (param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError('parameter group didn\'t specify a value of required '
                                 f'optimization parameter {name}')
            param_group.setdefault(name, default)

        ids = {id(p) for p in tensors}
        if len(ids) != len(tensors):
            warnings.warn('optimizer contains a parameter group with duplicate parameters; in '
                          'future, this will cause an error; see '
                          'github.com/pytorch/pytorch/issues/40967 for more information',
                          stacklevel=3)

        seen = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group['params'])
            if ('param_names' in param_group) != ('param_names' in group):
                which = 'with names' if 'param_names' in param_group else 'without names'
                raise ValueError('all optimizer param groups should be with/without names. '
                                 f'cannot add param group {which} to the optimizer')
        if not seen.isdisjoint(ids):
            raise ValueError('some parameters appear in more than one parameter group')

        self.param_groups.append(param_group)

    # ------------------------------------------------------------------ state dicts
    def state_dict(self):
        """The optimizer's state as a dict with two entries, in PyTorch's layout:

        * ``state``: per-parameter state dicts keyed by the parameter's position (counted
          across groups in order);
        * ``param_groups``: each group's options, with ``params`` a list of those positions
          (and ``param_names`` when the groups were built from named parameters).
        """
        for pre_hook in self._optimizer_state_dict_pre_hooks.values():
            pre_hook(self)

        param_mappings = {}
        start_index = 0

        def pack_group(group):
            nonlocal start_index
            packed = {k: v for k, v in group.items() if k != 'params'}
            for i, p in enumerate(group['params'], start_index):
                param_mappings.setdefault(id(p), i)
            packed['params'] = [param_mappings[id(p)] for p in group['params']]
            start_index += len(packed['params'])
            return packed

        param_groups = [pack_group(g) for g in self.param_groups]
        packed_state = {(param_mappings[id(k)] if isinstance(k, Tensor) else k): v
                        for k, v in self.state.items()}
        state_dict = {'state': packed_state, 'param_groups': param_groups}

        for post_hook in self._optimizer_state_dict_post_hooks.values():
            result = post_hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    @staticmethod
    def _process_value_according_to_param_policy(param, value, param_id, param_groups,
                                                 key=None):
        # Floating point state follows the parameter's dtype and device, except 'step',
        # which stays as saved (float32 on the device for fused/capturable groups).
        fused = capturable = False
        for pg in param_groups:
            if param_id in pg['params']:
                fused = pg.get('fused', False)
                capturable = pg.get('capturable', False)
                break
        if key == 'step':
            if capturable or fused:
                return value.to(dtype=_dtype.float32, device=param.device)
            return value
        if param.is_floating_point():
            return value.to(dtype=param.dtype, device=param.device)
        return value.to(device=param.device)

    def load_state_dict(self, state_dict):
        """Load a state produced by ``state_dict`` (here or by PyTorch, converted tensor by
        tensor). Groups must match in number and sizes; state tensors are cast to each
        parameter's dtype and device."""
        state_dict = state_dict.copy()
        for pre_hook in self._optimizer_load_state_dict_pre_hooks.values():
            result = pre_hook(self, state_dict)
            if result is not None:
                state_dict = result

        groups = self.param_groups
        saved_groups = deepcopy(state_dict['param_groups'])
        if len(groups) != len(saved_groups):
            raise ValueError('loaded state dict has a different number of parameter groups')
        if any(len(g['params']) != len(s['params']) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match "
                             "the size of optimizer's group")

        id_map = dict(zip(itertools.chain.from_iterable(g['params'] for g in saved_groups),
                          itertools.chain.from_iterable(g['params'] for g in groups)))

        def cast(param, value, param_id=None, param_groups=None, key=None):
            if isinstance(value, Tensor):
                return Optimizer._process_value_according_to_param_policy(
                    param, value, param_id, param_groups, key)
            if isinstance(value, dict):
                return {k: cast(param, v, param_id, param_groups, key=k)
                        for k, v in value.items()}
            if isinstance(value, Iterable) and not isinstance(value, (str, bytes)):
                return type(value)(cast(param, v, param_id, param_groups) for v in value)
            return value

        state = defaultdict(dict)
        for k, v in state_dict['state'].items():
            if k in id_map:
                param = id_map[k]
                state[param] = cast(param, v, param_id=k,
                                    param_groups=state_dict['param_groups'])
            else:
                state[k] = v

        def update_group(group, new_group):
            new_group['params'] = group['params']
            if 'param_names' in group and 'param_names' not in new_group:
                new_group['param_names'] = group['param_names']
            return new_group

        param_groups = [update_group(g, ng) for g, ng in zip(groups, saved_groups)]
        self.__setstate__({'state': state, 'param_groups': param_groups})

        for post_hook in self._optimizer_load_state_dict_post_hooks.values():
            post_hook(self)

    # ------------------------------------------------------------------ helpers
    def _setdefault_groups(self, **defaults):
        """Fill options that older pickled optimizers lack (as each PyTorch optimizer's
        ``__setstate__`` does)."""
        for group in self.param_groups:
            for key, value in defaults.items():
                group.setdefault(key, value)

    def _tensorize_state(self, keys=('step',), capturable_key='capturable'):
        """Turn Python-number ``step`` entries of old state dicts into 0-d tensors."""
        for group in self.param_groups:
            on_device = group.get(capturable_key, False) or group.get('fused', False)
            for p in group['params']:
                p_state = self.state.get(p, None)
                if not p_state:
                    continue
                for key in keys:
                    if key in p_state and not isinstance(p_state[key], Tensor):
                        p_state[key] = _scalar_tensor(
                            float(p_state[key]),
                            _get_scalar_dtype(is_fused=group.get('fused')),
                            p.device if on_device else None)
