"""Parameter and Buffer: tensors that Modules register automatically."""
from .._tensor import Tensor, require_grad
from .._ops.creation import empty

__all__ = ['Parameter', 'Buffer', 'UninitializedParameter', 'UninitializedBuffer',
           'is_lazy']


class Parameter(Tensor):
    """A tensor that is a module parameter: assigning one to a Module attribute registers it,
    and it requires grad by default. It shares memory with the tensor it wraps."""

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            data = empty(0)
        result = data.detach().as_subclass(cls)
        result._requires_grad = False
        if requires_grad:
            require_grad(result)
        return result

    def __repr__(self):
        return 'Parameter containing:\n' + super().__repr__()

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = Parameter(self.data.clone(), self.requires_grad)
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self.data, self.requires_grad))


def _rebuild_parameter(data, requires_grad):
    return Parameter(data, requires_grad)


class Buffer(Tensor):
    """Marks a tensor to be registered as a buffer when assigned to a Module attribute."""

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            data = empty(0)
        result = data.detach().as_subclass(Tensor)
        result._buffer_persistent = persistent
        result.__class__ = cls
        return result


class UninitializedParameter(Parameter):
    """A parameter whose shape is not known yet (lazy modules materialize it)."""

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        result = Parameter.__new__(cls, empty(0, dtype=dtype, device=device), requires_grad)
        result._lazy_dtype = dtype
        result._lazy_device = device
        return result

    def materialize(self, shape, device=None, dtype=None):
        """Allocate the data with ``shape`` and become an ordinary Parameter."""
        data = empty(shape, dtype=dtype or self._lazy_dtype, device=device or
                     self._lazy_device)
        self.data = data
        self.__class__ = Parameter

    def __repr__(self):
        return '<UninitializedParameter>'


class UninitializedBuffer(Tensor):
    pass


def is_lazy(param):
    return isinstance(param, (UninitializedParameter, UninitializedBuffer))
