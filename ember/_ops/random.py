"""Random tensors. The draws come from ``ember._random`` (PyTorch's CPU streams, bit for bit);
this module gives them PyTorch's signatures."""
import numpy as np

from .. import _args
from .. import _dtype as dt
from .. import _random
from .._device import CPU, to_device
from .._tensor import Tensor, make_tensor
from .creation import parse_size, _finish, _on_device

__all__ = ['rand', 'randn', 'randint', 'randperm', 'rand_like', 'randn_like', 'randint_like',
           'normal', 'bernoulli', 'multinomial', 'manual_seed', 'seed', 'initial_seed',
           'get_rng_state', 'set_rng_state', 'Generator', 'default_generator', 'poisson']


class Generator(_random.Generator):
    """A random number generator (PyTorch's ``torch.Generator``): seed it for reproducible
    draws; ``get_state``/``set_state`` exchange PyTorch-compatible state tensors."""

    def __init__(self, device='cpu'):
        super().__init__(device)
        self.device = to_device(device)

    def get_state(self):
        state = self.get_state_bytes()
        return make_tensor(state, dt.uint8, CPU)

    def set_state(self, new_state):
        if not isinstance(new_state, Tensor) or new_state._dtype is not dt.uint8:
            raise TypeError('expected a torch.ByteTensor, but got '
                            f'{type(new_state).__name__}')
        self.set_state_bytes(new_state._data)
        return self

    def __repr__(self):
        return f'<ember._C.Generator object at {hex(id(self))}>'


default_generator = Generator()
_random.default_generator = default_generator


def _gen(generator):
    return default_generator if generator is None else generator


def manual_seed(seed):
    """Seed the default generator (and the cuda ones); returns the default generator."""
    seed = int(seed)
    default_generator.manual_seed(seed)
    try:
        from .. import cuda
        cuda._manual_seed_all_lazy(seed)
    except ImportError:
        pass
    return default_generator


def seed():
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(new_state):
    default_generator.set_state(new_state)


def _float_dtype(dtype, name):
    d = dtype or dt.get_default_dtype()
    if not (d.is_floating_point or d.is_complex):
        raise NotImplementedError(f'"{name}" not implemented for \'{_type_name(d)}\'')
    return d


def _type_name(d):
    from .elementwise import _type_name as name
    return name(d)


def rand(*sizes, size=None, generator=None, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False):
    """Uniform samples from [0, 1)."""
    shape = parse_size(sizes or (size,), 'rand')
    d = _float_dtype(dtype, 'check_uniform_bounds')
    data = _gen(generator).uniform(shape, 0.0, 1.0, d.numpy_dtype)
    return _result(data, d, device, requires_grad, out)


def _result(data, d, device, requires_grad, out):
    t = _finish(data, d, to_device(device), requires_grad)
    if out is not None:
        from .elementwise import copy_into_out
        return copy_into_out(t, out)
    return t


def randn(*sizes, size=None, generator=None, out=None, dtype=None, layout=None, device=None,
          requires_grad=False, pin_memory=False):
    """Samples from the standard normal distribution."""
    shape = parse_size(sizes or (size,), 'randn')
    d = _float_dtype(dtype, 'normal_kernel_cpu')
    data = _gen(generator).normal(shape, 0.0, 1.0, d.numpy_dtype)
    return _result(data, d, device, requires_grad, out)


def randint(low=0, high=None, size=None, *, generator=None, out=None, dtype=None, layout=None,
            device=None, requires_grad=False, pin_memory=False):
    """Integers drawn uniformly from ``[low, high)``; int64 unless ``dtype``."""
    if size is None:
        low, high, size = 0, low, high
        if size is None:
            raise TypeError('randint() missing required argument \'size\'')
    if high is None:
        low, high = 0, low
    low, high = _args.as_int(low, 'randint', 'low'), _args.as_int(high, 'randint', 'high')
    if isinstance(size, int):
        raise TypeError("randint(): argument 'size' (position 2) must be tuple of ints, not int")
    shape = parse_size((size,), 'randint')
    if low >= high:
        raise RuntimeError(f'random_ expects \'from\' to be less than \'to\', but got '
                           f'from={low} >= to={high}')
    d = dtype or dt.int64
    data = _gen(generator).random_int(shape, int(low), int(high), d.numpy_dtype)
    return _result(data, d, device, requires_grad, out)


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None,
             requires_grad=False, pin_memory=False):
    """A random permutation of ``0..n-1``."""
    if n < 0:
        raise RuntimeError(f'n must be non-negative, got{n}')
    d = dtype or dt.int64
    data = _gen(generator).randperm(int(n), d.numpy_dtype)
    return _result(data, d, device, requires_grad, out)


def rand_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None, generator=None):
    return rand(input._data.shape, generator=generator, dtype=dtype or input._dtype,
                device=device or input._device, requires_grad=requires_grad)


def randn_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None, generator=None):
    return randn(input._data.shape, generator=generator, dtype=dtype or input._dtype,
                 device=device or input._device, requires_grad=requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, layout=None, device=None,
                 requires_grad=False, memory_format=None, generator=None):
    if high is None:
        low, high = 0, low
    return randint(low, high, input._data.shape, generator=generator,
                   dtype=dtype or input._dtype, device=device or input._device,
                   requires_grad=requires_grad)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None,
           layout=None, device=None, requires_grad=False, pin_memory=False):
    """Normal samples: tensor means/stds (broadcast), or numbers with ``size``."""
    gen = _gen(generator)
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        ref = mean if isinstance(mean, Tensor) else std
        m = mean._data if isinstance(mean, Tensor) else mean
        s = std._data if isinstance(std, Tensor) else std
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
        if isinstance(std, Tensor) and (std._data < 0).any():
            raise RuntimeError('normal expects all elements of std >= 0.0')
        d = ref._dtype
        unit = gen.normal(shape, 0.0, 1.0, d.numpy_dtype)
        data = (unit * s + m).astype(d.numpy_dtype)
        return _result(data, d, ref._device, requires_grad, out)
    if size is None:
        raise TypeError('normal() received an invalid combination of arguments: size is '
                        'required when mean and std are numbers')
    if std < 0:
        raise RuntimeError(f'normal expects std >= 0.0, but found std {std}')
    shape = parse_size((size,), 'normal')
    d = _float_dtype(dtype, 'normal_kernel_cpu')
    data = gen.normal(shape, float(mean), float(std), d.numpy_dtype)
    return _result(data, d, device, requires_grad, out)


def bernoulli(input, p=None, *, generator=None, out=None):
    """Draw 0/1 with the probabilities in ``input`` (or a fixed ``p``)."""
    gen = _gen(generator)
    probs = input._data if p is None else p
    if p is None and ((input._data < 0).any() or (input._data > 1).any()):
        raise RuntimeError('Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could '
                           'this error message be improved?  If so, please report an '
                           'enhancement request to PyTorch.)')
    data = gen.bernoulli(probs, input._data.shape, input._dtype.numpy_dtype)
    return _result(data, input._dtype, input._device, False, out)


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    """Indices sampled from the rows of ``input`` taken as (unnormalised) probabilities."""
    if input._data.ndim not in (1, 2):
        raise RuntimeError('prob_dist must be 1 or 2 dim')
    if not input._dtype.is_floating_point:
        raise RuntimeError('multinomial only supports floating-point dtypes for input, got: '
                           f'{_type_name(input._dtype)}')
    num_samples = _args.as_int(num_samples, 'multinomial', 'num_samples', 2)
    if num_samples <= 0:
        raise RuntimeError('cannot sample n_sample <= 0 samples')
    n_categories = input._data.shape[-1]
    if not replacement and num_samples > n_categories:
        raise RuntimeError('cannot sample n_sample > prob_dist.size(-1) samples without '
                           'replacement')
    data = input._data
    if (data < 0).any() or not np.isfinite(data).all():
        raise RuntimeError('probability tensor contains either `inf`, `nan` or element < 0')
    if (data.sum(-1) == 0).any():
        raise RuntimeError('invalid multinomial distribution (sum of probabilities <= 0)')
    result = _gen(generator).multinomial(data, int(num_samples), bool(replacement))
    return _result(np.asarray(result, dtype=np.int64), dt.int64, input._device, False, out)


def poisson(input, generator=None):
    rng = np.random.default_rng(_gen(generator).random_int((1,), 0, 2**62, np.int64)[0])
    data = rng.poisson(input._data).astype(input._data.dtype)
    return make_tensor(data, input._dtype, input._device)


# ---------------------------------------------------------------------------------------
# in-place fills
# ---------------------------------------------------------------------------------------
def _fill_inplace(self, data):
    from .elementwise import check_inplace
    check_inplace(self)
    self._data[...] = _on_device(data, self._device) if self._device is not CPU else data
    self._bump_version()
    return self


def uniform_(self, from_=0.0, to=1.0, *, generator=None, **kwargs):
    """Fill with uniform samples from ``[from_, to)``."""
    from_ = kwargs.pop('from', from_)
    data = _gen(generator).uniform(self._data.shape, float(from_), float(to),
                                   self._dtype.numpy_dtype)
    return _fill_inplace(self, data)


def normal_(self, mean=0.0, std=1.0, *, generator=None):
    """Fill with normal samples."""
    if std < 0:
        raise RuntimeError(f'normal expects std >= 0.0, but found std {std}')
    data = _gen(generator).normal(self._data.shape, float(mean), float(std),
                                  self._dtype.numpy_dtype,
                                  **({'contiguous': self.is_contiguous()}
                                     if _accepts_contiguous() else {}))
    return _fill_inplace(self, data)


def _accepts_contiguous():
    import inspect
    try:
        return 'contiguous' in inspect.signature(_random.Generator.normal).parameters
    except (TypeError, ValueError):
        return False


def random_(self, from_=0, to=None, *, generator=None):
    gen = _gen(generator)
    if to is None and from_ == 0:
        data = gen.random_full(self._data.shape, self._dtype.numpy_dtype)
    else:
        if to is None:
            from_, to = 0, from_
        data = gen.random_int(self._data.shape, int(from_), int(to), self._dtype.numpy_dtype)
    return _fill_inplace(self, data)


def bernoulli_(self, p=0.5, *, generator=None):
    probs = p._data if isinstance(p, Tensor) else float(p)
    data = _gen(generator).bernoulli(probs, self._data.shape, self._dtype.numpy_dtype)
    return _fill_inplace(self, data)


def exponential_(self, lambd=1.0, *, generator=None):
    data = _gen(generator).exponential(self._data.shape, float(lambd), self._dtype.numpy_dtype)
    return _fill_inplace(self, data)


def fill_(self, value):
    """Fill with ``value`` in place."""
    from .elementwise import check_inplace
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError('fill_ only supports 0-dimension value tensor but got tensor '
                               f'with {value._data.ndim} dimensions.')
        with np.errstate(all='ignore'):   # a tensor's value is cast unchecked, as in a copy
            fill = np.array(value.item()).astype(self._dtype.numpy_dtype)
    else:
        from .indexing import _scalar_value
        fill = _scalar_value(value.item() if isinstance(value, np.generic) else value,
                             self._dtype, check_half=self._data.size != 1)
    check_inplace(self, aliasing_ok=True)  # a constant may land on one address many times
    data = self._data
    if not data.flags.writeable:  # an expanded tensor
        from .indexing import _writable_alias
        data = _writable_alias(data)
    data[...] = fill
    self._bump_version()
    return self


def zero_(self):
    """Fill with zeros in place."""
    return fill_(self, 0)


Tensor.uniform_ = uniform_
Tensor.normal_ = normal_
Tensor.random_ = random_
Tensor.bernoulli_ = bernoulli_
Tensor.bernoulli = lambda self, p=None, *, generator=None: bernoulli(self, p,
                                                                    generator=generator)
Tensor.exponential_ = exponential_
Tensor.multinomial = multinomial
Tensor.fill_ = fill_
Tensor.zero_ = zero_
