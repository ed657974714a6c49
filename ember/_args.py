"""PyTorch's conventions for Python arguments, and the TypeErrors it gives when they are
broken: how types are named, ints and tuples of ints, and NumPy's ``axis`` for ``dim``."""
import operator

__all__ = []

# The C++ names of dtypes in PyTorch's "Input type (double) ..." style messages
CPP_TYPE_NAMES = {'float32': 'float', 'float64': 'double', 'float16': 'c10::Half',
                  'bfloat16': 'c10::BFloat16', 'int64': 'long int', 'int32': 'int',
                  'int16': 'short', 'int8': 'signed char', 'uint8': 'unsigned char',
                  'bool': 'bool', 'complex64': 'c10::complex<float>',
                  'complex128': 'c10::complex<double>'}


def type_name(obj):
    """The name PyTorch's argument errors give the type of ``obj``: types defined in C keep
    their module (``numpy.ndarray``), Python classes and builtins show the bare name."""
    cls = type(obj)
    if cls.__module__ == 'builtins' or cls.__flags__ & _HEAP_TYPE:
        return cls.__name__
    return f'{cls.__module__}.{cls.__name__}'


_HEAP_TYPE = 1 << 9   # Py_TPFLAGS_HEAPTYPE: a class made by a class statement


class _NoAxis:
    """The default of the ``axis`` keywords (NumPy's name for ``dim``): PyTorch takes an
    ``axis`` given as a number, and refuses ``axis=None`` (what ``np.sum(tensor)`` passes)."""
    __slots__ = ()

    def __repr__(self):
        return '<no axis>'


NO_AXIS = _NoAxis()


def numpy_axis(axis, name):
    if axis is None:
        raise TypeError(f"{name}() got an unexpected keyword argument 'axis'")
    return axis


def as_int(value, name, arg, position=None):
    """``value`` as an int (Python ints, NumPy ints and integer 0-d tensors qualify), else
    PyTorch's TypeError naming the function and argument."""
    if type(value) is int:
        return value
    try:
        if isinstance(value, bool) or isinstance(value, float):
            raise TypeError
        return operator.index(value)
    except TypeError:
        where = f" (position {position})" if position is not None else ''
        raise TypeError(f"{name}(): argument '{arg}'{where} must be int, not "
                        f'{type_name(value)}') from None


def int_tuple(value, name, arg, position=None):
    """``value`` (an int or a sequence of ints) as a tuple of ints, else PyTorch's
    TypeError (``x.size(2) / 2`` passed as a kernel size is a float)."""
    where = f" (position {position})" if position is not None else ''
    if isinstance(value, (tuple, list)):
        out = []
        for i, v in enumerate(value):
            if type(v) is int:
                out.append(v)
                continue
            try:
                if isinstance(v, (bool, float)):
                    raise TypeError
                out.append(operator.index(v))
            except TypeError:
                raise TypeError(f"{name}(): argument '{arg}'{where} must be tuple of ints, but "
                                f'found element of type {type_name(v)} at pos {i}') from None
        return tuple(out)
    if type(value) is int:
        return (value,)
    try:
        if isinstance(value, (bool, float)):
            raise TypeError
        return (operator.index(value),)
    except TypeError:
        raise TypeError(f"{name}(): argument '{arg}'{where} must be tuple of ints, not "
                        f'{type_name(value)}') from None


def typename(obj):
    """PyTorch's ``torch.typename``: a tensor's type string (``torch.FloatTensor``), else the
    dotted name of the object (a class or function) or of its class."""
    from ._tensor import Tensor
    if isinstance(obj, Tensor):
        return obj.type()
    module = getattr(obj, '__module__', '') or ''
    if hasattr(obj, '__qualname__'):
        qualname = obj.__qualname__
    elif hasattr(obj, '__name__'):
        qualname = obj.__name__
    else:
        module = type(obj).__module__ or ''
        qualname = type(obj).__qualname__
    return qualname if module in ('', 'builtins') else f'{module}.{qualname}'
