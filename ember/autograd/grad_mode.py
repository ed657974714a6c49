"""Grad mode: whether ops record a graph. Thread-local, as in PyTorch."""
import functools
import threading

__all__ = ['no_grad', 'enable_grad', 'set_grad_enabled', 'inference_mode', 'is_grad_enabled',
           'is_inference_mode_enabled']


class _GradState(threading.local):
    def __init__(self):
        self.enabled = True
        self.inference = False
        self.saved_hooks = ()             # (pack, unpack) pairs, innermost last
        self.saved_hooks_disabled = None  # the error message while hooks are disabled
        self.anomaly = False              # anomaly detection (anomaly_mode.py)
        self.anomaly_nan = True


state = _GradState()


def is_grad_enabled():
    """True when operations on tensors that require grad are being recorded."""
    return state.enabled


def is_inference_mode_enabled():
    return state.inference


class _DecoratorContext:
    """Context managers that also work as decorators (on functions and generators)."""

    def __call__(self, func):
        if isinstance(func, type) or not callable(func):
            raise TypeError(f'{type(self).__name__} can only decorate functions')

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.clone():
                return func(*args, **kwargs)
        return wrapper

    def clone(self):
        return type(self)()


class _BareDecorator(_DecoratorContext):
    """A context manager that also decorates without parentheses: ``@no_grad`` as well as
    ``@no_grad()``."""

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)


class no_grad(_BareDecorator):
    """Disable graph recording inside the block (results have ``requires_grad=False``)."""

    def __init__(self):
        self.prev = None

    def __enter__(self):
        self.prev = state.enabled
        state.enabled = False

    def __exit__(self, *exc):
        state.enabled = self.prev
        return False


class enable_grad(_BareDecorator):
    """Enable graph recording inside the block, even within ``no_grad``."""

    def __init__(self):
        self.prev = None

    def __enter__(self):
        self.prev = state.enabled
        state.enabled = True

    def __exit__(self, *exc):
        state.enabled = self.prev
        return False


class set_grad_enabled(_DecoratorContext):
    """Set grad mode on or off; takes effect at once and also works as a context manager."""

    def __init__(self, mode):
        self.prev = state.enabled
        self.mode = bool(mode)
        state.enabled = self.mode

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        state.enabled = self.prev
        return False

    def clone(self):
        return type(self)(self.mode)

    def __repr__(self):
        return f'{type(self).__module__}.{type(self).__qualname__}(mode={self.mode})'


class inference_mode(_DecoratorContext):
    """Like ``no_grad`` (ember keeps no separate inference tensors)."""

    def __new__(cls, mode=True):
        if callable(mode) and not isinstance(mode, bool):   # @inference_mode, bare
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode=True):
        self.mode = bool(mode)
        self.prev = None

    def __enter__(self):
        self.prev = (state.enabled, state.inference)
        if self.mode:
            state.enabled = False
            state.inference = True

    def __exit__(self, *exc):
        state.enabled, state.inference = self.prev
        return False

    def clone(self):
        return type(self)(self.mode)

    def __call__(self, func=None):
        if isinstance(func, bool):
            return type(self)(func)
        return super().__call__(func)
