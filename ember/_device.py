"""Devices and the backend registry.

A tensor's device decides which array module (``xp``) runs its ops: NumPy for ``cpu``, CuPy
for ``cuda``, and NumPy again for the simulated cuda device used in tests. This is the only
module that may import CuPy, and it does so lazily.
"""
import builtins
import threading

import numpy as np

__all__ = ['device', 'get_default_device', 'set_default_device']

_KNOWN_TYPES = ('cpu', 'cuda', 'mps', 'meta', 'xpu')


class device:
    """Where a tensor lives: ``device('cpu')``, ``device('cuda:1')``, ``device('cuda', 1)``.

    Equal devices compare and hash equal; ``device('cuda')`` (no index) differs from
    ``device('cuda:0')`` as in PyTorch. Usable as a context manager that makes it the default
    device for factory functions.
    """
    __slots__ = ('type', 'index', '_previous')

    def __new__(cls, type, index=None):  # noqa: A002 - PyTorch's argument name
        if isinstance(type, device):
            if index is not None:
                raise TypeError('device(): an index cannot be given with a device object')
            return type
        if isinstance(type, int) and not isinstance(type, bool):
            if type < 0:
                raise RuntimeError(f'Device index must not be negative')
            type, index = _accelerator_type(), type
        elif isinstance(type, str):
            text = type
            if ':' in text:
                if index is not None:
                    raise RuntimeError(
                        f"type (string) must not include an index because index was passed "
                        f"explicitly: {text}")
                text, _, idx = text.partition(':')
                if not idx.isdigit():
                    raise RuntimeError(f'Invalid device string: \'{type}\'')
                index = int(idx)
            if text not in _KNOWN_TYPES:
                raise RuntimeError(
                    f"Expected one of cpu, cuda, mps, meta, xpu device type at start of "
                    f"device string: {type}")
            type = text
        else:
            raise TypeError('device() received an invalid combination of arguments - got '
                            f'({builtins.type(type).__name__}), but expected a string, an int '
                            'or a device')
        if index is not None:
            if not isinstance(index, int) or index < 0:
                raise RuntimeError(f'Device index must not be negative')
        key = (type, index)
        cached = _DEVICES.get(key)
        if cached is not None:
            return cached
        self = object.__new__(cls)
        object.__setattr__(self, 'type', type)
        object.__setattr__(self, 'index', index)
        _DEVICES[key] = self
        return self

    def __setattr__(self, name, value):
        raise AttributeError('device objects are immutable')

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f'{self.type}:{self.index}'

    def __eq__(self, other):
        return self is other

    def __hash__(self):
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (self.type, self.index))

    def __enter__(self):
        state = _default_state()
        object.__setattr__(self, '_previous', state.device)
        state.device = self
        return self

    def __exit__(self, *exc):
        _default_state().device = self._previous
        return False


_DEVICES = {}


def _accelerator_type():
    return 'cuda'


CPU = device('cpu')


class _DefaultDevice(threading.local):
    def __init__(self):
        self.device = None


_default = _DefaultDevice()


def _default_state():
    return _default


def get_default_device():
    """The device factory functions use when none is given (``cpu`` unless changed)."""
    return _default.device or CPU


def set_default_device(dev):
    """Set the device factory functions use by default; ``None`` resets it to ``cpu``."""
    _default.device = None if dev is None else canonical(device(dev))


# ---------------------------------------------------------------------------------------
# Backends: which array module holds a device's data
# ---------------------------------------------------------------------------------------
class Backend:
    """What a device type needs: its array module and how to move arrays to and from it."""

    def __init__(self, xp, to_host, from_host, device_count):
        self.xp = xp
        self.to_host = to_host          # array on this device -> NumPy array
        self.from_host = from_host      # NumPy array -> array on this device
        self.device_count = device_count


_numpy_backend = Backend(np, lambda a: a, lambda a, index: a, lambda: 1)
_BACKENDS = {'cpu': _numpy_backend}


def register_backend(device_type, backend):
    """Install (or with ``None`` remove) the backend serving ``device_type``."""
    if backend is None:
        _BACKENDS.pop(device_type, None)
    else:
        _BACKENDS[device_type] = backend


def backend_of(dev):
    """The backend for a device; RuntimeError naming the missing piece when it is absent."""
    try:
        return _BACKENDS[dev.type]
    except KeyError:
        pass
    if dev.type == 'cuda':
        from . import cuda as _cuda
        backend = _cuda._load_backend()
        if backend is not None:
            return backend
        raise AssertionError(
            "Torch not compiled with CUDA enabled: ember runs cuda tensors on CuPy; install "
            "it with `pip install ember[cuda]` on a machine with an NVIDIA GPU")
    raise RuntimeError(f"ember has no backend for device type '{dev.type}'")


def canonical(dev):
    """The device a tensor records: ``cuda`` without an index becomes the current cuda device."""
    if dev.type == 'cuda' and dev.index is None:
        from . import cuda as _cuda
        return device('cuda', _cuda.current_device() if _cuda.is_available() else 0)
    if dev.type == 'cpu' and dev.index is not None:
        return CPU
    return dev


def to_device(dev):
    """Normalise a user's device argument (str, int, device, None) to a canonical device."""
    if dev is None:
        return get_default_device()
    if dev is CPU or dev == 'cpu':
        return CPU
    return canonical(device(dev))
