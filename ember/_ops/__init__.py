"""Operator families. Importing this package attaches every op to ``Tensor`` as a method."""
from . import creation, views, elementwise, reduction, indexing, joining, linalg, conversion, \
    random, sorting, rearrange, copy  # noqa: F401


def _method_from_nn(name):
    """``Tensor.softmax``/``log_softmax`` live with nn.functional; load it on first call (``nn``
    is imported lazily) and let it install the real method in place of this stub."""
    def method(self, *args, **kwargs):
        from ..nn._functional import activation
        return getattr(activation, '_tensor_' + name)(self, *args, **kwargs)
    method.__name__ = method.__qualname__ = name
    return method


for _name in ('softmax', 'log_softmax'):
    setattr(elementwise.Tensor, _name, _method_from_nn(_name))
