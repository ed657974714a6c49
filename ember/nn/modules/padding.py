"""Padding layers: constant/zero, reflection, replication and circular padding."""
from .module import Module
from .. import functional as F

__all__ = ['ConstantPad1d', 'ConstantPad2d', 'ConstantPad3d', 'ZeroPad1d', 'ZeroPad2d',
           'ZeroPad3d', 'ReflectionPad1d', 'ReflectionPad2d', 'ReflectionPad3d',
           'ReplicationPad1d', 'ReplicationPad2d', 'ReplicationPad3d', 'CircularPad1d',
           'CircularPad2d', 'CircularPad3d']


def _padding(value, n):
    """An int pads every side; a tuple is (left, right[, top, bottom[, front, back]])."""
    if isinstance(value, (tuple, list)):
        value = tuple(value)
        if len(value) != 2 * n:
            raise ValueError(f'Padding must be an int or a {2 * n}-element tuple, got '
                             f'{len(value)} elements')
        return value
    return (value,) * (2 * n)


class _PadNd(Module):
    _mode = 'constant'
    _dims = 2

    def __init__(self, padding):
        super().__init__()
        self.padding = _padding(padding, self._dims)

    def forward(self, input):
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self):
        return f'{self.padding}'


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, 'constant', self.value)

    def extra_repr(self):
        return f'padding={self.padding}, value={self.value}'


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dim with a constant: ``padding`` = int or (left, right)."""
    _dims = 1


class ConstantPad2d(_ConstantPadNd):
    """Pad the last 2 dims with a constant: (left, right, top, bottom)."""
    _dims = 2


class ConstantPad3d(_ConstantPadNd):
    """Pad the last 3 dims with a constant: (left, right, top, bottom, front, back)."""
    _dims = 3


class _ZeroPadNd(_ConstantPadNd):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f'{self.padding}'


class ZeroPad1d(_ZeroPadNd):
    """Pad the last dim with zeros."""
    _dims = 1


class ZeroPad2d(_ZeroPadNd):
    """Pad the last 2 dims with zeros: (left, right, top, bottom)."""
    _dims = 2


class ZeroPad3d(_ZeroPadNd):
    """Pad the last 3 dims with zeros."""
    _dims = 3


class ReflectionPad1d(_PadNd):
    """Pad the last dim with its reflection (the edge is not repeated)."""
    _mode = 'reflect'
    _dims = 1


class ReflectionPad2d(_PadNd):
    """Pad the last 2 dims with their reflection."""
    _mode = 'reflect'
    _dims = 2


class ReflectionPad3d(_PadNd):
    """Pad the last 3 dims with their reflection."""
    _mode = 'reflect'
    _dims = 3


class ReplicationPad1d(_PadNd):
    """Pad the last dim by repeating the edge value."""
    _mode = 'replicate'
    _dims = 1


class ReplicationPad2d(_PadNd):
    """Pad the last 2 dims by repeating the edge values."""
    _mode = 'replicate'
    _dims = 2


class ReplicationPad3d(_PadNd):
    """Pad the last 3 dims by repeating the edge values."""
    _mode = 'replicate'
    _dims = 3


class CircularPad1d(_PadNd):
    """Pad the last dim by wrapping around (periodic boundary)."""
    _mode = 'circular'
    _dims = 1


class CircularPad2d(_PadNd):
    """Pad the last 2 dims by wrapping around."""
    _mode = 'circular'
    _dims = 2


class CircularPad3d(_PadNd):
    """Pad the last 3 dims by wrapping around."""
    _mode = 'circular'
    _dims = 3
