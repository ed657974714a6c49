"""PyTorch's CPU random number streams, reproduced bit for bit with NumPy.

PyTorch's CPU generator is a 32-bit Mersenne Twister (mt19937) seeded the classic way
(``init_genrand`` with the low 32 bits of the seed). NumPy ships the same engine as
``numpy.random.MT19937``, so the raw 32-bit words are identical; this module is about turning
those words into values exactly the way ATen's CPU kernels do:

* a "64-bit draw" is two consecutive words, the first one high;
* a uniform float keeps the low 24 bits of a word (53 bits of a 64-bit draw for double) and
  scales them to [0, 1); float16 and bfloat16 are computed in float and rounded at the end;
* ATen is compiled with floating-point contraction, so the kernels' ``a * b + c`` are fused
  multiply-adds; ``_fma32``/``_fma64`` give the single rounding exactly;
* float64 kernels call the C library's ``log``, ``log1p``, ``sin`` and ``cos``. NumPy's SIMD
  versions differ from those in the last bit for some inputs, so we call the C library itself
  through Python's ``math`` (see ``_libm``);
* float32 normals with 16 or more elements use ATen's AVX2 Box-Muller, whose log, sin and cos
  are Cephes polynomials evaluated in float with FMAs; ``_avx_log``/``_avx_sincos`` replay them.

Everything is vectorised except the ``math`` calls, which run as a C-level ``map``.

Where PyTorch itself differs by machine, we follow the x86-64 build on a CPU with AVX2 and
FMA (every x86 server of the last decade):

* float32/float16/bfloat16 ``normal`` of 16+ elements: a PyTorch build without AVX2 (ARM,
  POWER, very old x86) runs a different kernel and its values differ in the last bits.
* ``bernoulli`` with a float probability and ``exponential`` use the CPU generator on the
  builds we compared against; PyTorch builds that route them through MKL's own stream on
  Intel CPUs produce different (and not reproducible from the mt19937 state) values.
* ``multinomial`` without replacement ranks ``p / q`` with ``topk``; equal keys (zero
  probabilities, or float16/bfloat16 keys that round alike) come out of PyTorch in the order
  its introsort leaves them, which we do not replay: we order ties by index.
"""
import math
import os

import numpy as np

__all__ = ['Generator', 'default_generator', 'manual_seed', 'seed', 'initial_seed']

_N = 624                        # words in the mt19937 state
_DEFAULT_SEED = 67280421310721  # c10's default_rng_seed_val
_STATE_SIZE = 5056              # sizeof(CPUGeneratorImplState)
_U64 = np.uint64
_F = np.float32

# Byte offsets in the state blob: the legacy TH generator struct (seed, left, seeded, next,
# 624 words widened to uint64, three doubles of the old normal cache, an int flag, padding)
# followed by the float normal cache and its bool flag, padded to 8 bytes.
_OFF_SEED, _OFF_LEFT, _OFF_SEEDED, _OFF_NEXT, _OFF_WORDS = 0, 8, 12, 16, 24
_OFF_NORMAL_Y, _OFF_NORMAL_VALID = 5024, 5040
_OFF_FLOAT_NORMAL, _OFF_FLOAT_VALID = 5048, 5052

_REAL_OF = {'complex64': np.dtype(np.float32), 'complex128': np.dtype(np.float64)}

# PyTorch's names for dtypes its random_() kernel rejects.
_UNSIGNED_NAMES = {'uint16': 'UInt16', 'uint32': 'UInt32', 'uint64': 'UInt64'}


# ----------------------------------------------------------------------------------------
# dtype helpers
# ----------------------------------------------------------------------------------------

def _is_bfloat16(dt):
    return dt.name == 'bfloat16'


def _is_floating(dt):
    return dt.kind == 'f' or _is_bfloat16(dt)


def _mantissa_digits(dt):
    """std::numeric_limits<T>::digits of a floating dtype."""
    if _is_bfloat16(dt):
        return 8
    return {2: 11, 4: 24, 8: 53}[dt.itemsize]


def _from_f32(x32, dt):
    """Round float32 values to ``dt`` (nearest-even, as c10::Half and c10::BFloat16 do)."""
    return x32 if dt == np.float32 else x32.astype(dt)


def _from_f64(x64, dt):
    """static_cast<T>(double): c10's half types convert through float first."""
    if dt == np.float64:
        return x64
    x32 = x64.astype(np.float32)
    return x32 if dt == np.float32 else x32.astype(dt)


def _from_int64(val, dt):
    """static_cast<T>(int64_t): integers wrap, c10's half types go through float."""
    if dt == np.bool_:
        return val != 0
    if dt.kind in 'iu' or dt == np.float64 or dt == np.float32:
        return val.astype(dt)
    return val.astype(np.float32).astype(dt)


def _scalar_in(value, dt):
    """A Python number converted to ``dt``, as a one-element array."""
    return _from_f64(np.array([value], dtype=np.float64), dt)


# ----------------------------------------------------------------------------------------
# exact fused multiply-add
# ----------------------------------------------------------------------------------------

def _two_sum(a, b):
    """s + e == a + b exactly, with s = fl(a + b) (Knuth)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _two_prod(a, b):
    """p + e == a * b exactly, with p = fl(a * b) (Dekker's product, Veltkamp's split)."""
    p = a * b
    c = 134217729.0 * a
    ah = c - (c - a)
    al = a - ah
    c = 134217729.0 * b
    bh = c - (c - b)
    bl = b - bh
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _is_power_of_two(b):
    """True for a scalar b whose products are exact (0 or +-2**k)."""
    if np.ndim(b) != 0:
        return False
    b = float(b)
    return b == 0.0 or (math.isfinite(b) and math.frexp(b)[0] in (0.5, -0.5))


def _fma64(a, b, c):
    """fma(a, b, c) on float64 with a single rounding, as the compiled kernels compute it."""
    a = np.asarray(a, np.float64)
    c = np.asarray(c, np.float64)
    if _is_power_of_two(b):
        return a * float(b) + c       # the product is exact, so one rounding anyway
    with np.errstate(all='ignore'):
        a, b, c = np.broadcast_arrays(a, np.asarray(b, np.float64), c)
        p, pe = _two_prod(a, b)
        s, se = _two_sum(p, c)
        t, te = _two_sum(se, pe)
        r, re = _two_sum(s, t)
        # The exact value is r + re + te, and te is far below r's spacing: it only matters
        # when s + t lies exactly halfway between two doubles and the tie went away from te.
        toward = np.nextafter(r, np.where(re > 0, np.inf, -np.inf))
        tie = (re != 0) & (2.0 * re == toward - r) & (te != 0) & ((te > 0) == (re > 0))
        out = np.where(tie, toward, r)
        special = ~np.isfinite(out) | ~np.isfinite(p)
        if special.any():
            out = np.where(special, a * b + c, out)
    return out


def _fma32(a, b, c):
    """fma(a, b, c) on float32 with a single rounding.

    A float64 holds the product exactly, so only the final sum is rounded twice (to double,
    then to float). That can go wrong only when the double lands exactly halfway between two
    floats; those rare elements are redone with the exact error of the sum.
    """
    a = np.asarray(a, np.float32)
    c = np.asarray(c, np.float32)
    if _is_power_of_two(b):
        return a * _F(b) + c
    with np.errstate(all='ignore'):
        p = a.astype(np.float64) * np.asarray(b, np.float32).astype(np.float64)
        s = p + c
        out = s.astype(np.float32)
        # halfway between floats: the 29 bits below float precision read 1000...0
        low = s.view(_U64) & _U64((1 << 29) - 1)
        idx = np.flatnonzero((low == _U64(1 << 28)) | (np.abs(s) < 2.0 ** -125))
        if idx.size:
            addend = np.broadcast_to(c, s.shape).reshape(-1)[idx].astype(np.float64)
            s_i, e_i = _two_sum(p.reshape(-1)[idx], addend)
            out.reshape(-1)[idx] = _round_dd_to_f32(s_i, e_i)
    return out


def _round_dd_to_f32(s, e):
    """Round the exact sum s + e (|e| within half an ulp of s) to float32."""
    r = s.astype(np.float32)
    r64 = r.astype(np.float64)
    up = s > r64
    other = np.nextafter(r, np.where(up, _F(np.inf), _F(-np.inf)))
    o64 = other.astype(np.float64)
    halfway = (s != r64) & ((r64 + o64) * 0.5 == s) & (e != 0)
    return np.where(halfway & ((e > 0) == up), other, r)


# ----------------------------------------------------------------------------------------
# C library math
# ----------------------------------------------------------------------------------------

def _libm(name, x):
    """Element-wise C-library ``name`` (log, log1p, sin, cos) of float64 values.

    NumPy's SIMD log and log1p differ from the C library in the last bit for some inputs,
    and the C library itself picks a plain or an FMA build at run time, so the exact values
    come from Python's ``math``, which calls the same C library PyTorch links. ``map`` keeps
    the loop in C (no Python bytecode per element); the inputs here are always in range.
    """
    x = np.ascontiguousarray(x, dtype=np.float64).reshape(-1)
    return np.fromiter(map(getattr(math, name), x.tolist()), dtype=np.float64, count=x.size)


# ----------------------------------------------------------------------------------------
# Box-Muller on blocks of 16 (ATen's normal_fill): pairs are elements j and j + 8
# ----------------------------------------------------------------------------------------

_LOG_POLY = [_F(v) for v in (7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1,
                             -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1,
                             2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1)]


def _avx_log(x):
    """Cephes single-precision log as ATen's AVX2 kernel evaluates it (x > 0)."""
    x = np.maximum(x, np.array(0x00800000, np.uint32).view(np.float32))
    bits = x.view(np.uint32)
    e = ((bits >> np.uint32(23)).astype(np.int32) - 127).astype(np.float32) + _F(1)
    m = ((bits & np.uint32(0x807FFFFF)) | np.uint32(0x3F000000)).view(np.float32)
    # move the mantissa from [0.5, 1) to [sqrt(1/2), sqrt(2)) and take 1 off
    small = m < _F(0.707106781186547524)
    t = m - _F(1)
    e = e - np.where(small, _F(1), _F(0))
    t = t + np.where(small, m, _F(0))
    z = t * t
    y = np.full_like(t, _LOG_POLY[0])
    for coef in _LOG_POLY[1:]:
        y = _fma32(y, t, coef)          # GCC fuses every Horner step
    y = y * t
    y = _fma32(y, z, e * _F(-2.12194440e-4))
    y = y - z * _F(0.5)                 # an exact halving: fusing changes nothing
    return _fma32(e, _F(0.693359375), t + y)


def _avx_sincos(x):
    """Cephes single-precision sin and cos as ATen's AVX2 kernel evaluates them (x >= 0)."""
    j = (x * _F(1.27323954473516)).astype(np.int32)
    j = (j + 1) & np.int32(-2)
    y = j.astype(np.float32)
    # x - j * pi/4 with pi/4 split in three parts so the reduction stays accurate
    r = _fma32(y, _F(-0.78515625), x)
    r = _fma32(y, _F(-2.4187564849853515625e-4), r)
    r = _fma32(y, _F(-3.77489497744594108e-8), r)
    z = r * r
    c = _fma32(_F(2.443315711809948e-5), z, _F(-1.388731625493765e-3))
    c = _fma32(c, z, _F(4.166664568298827e-2))
    c = _fma32(c * z, z, -(z * _F(0.5)))
    c = c + _F(1)
    s = _fma32(_F(-1.9515295891e-4), z, _F(8.3321608736e-3))
    s = _fma32(s, z, _F(-1.6666654611e-1))
    s = _fma32(s * z, r, r)
    sin_poly = (j & 2) == 0             # which polynomial gives sin in this octant
    sin = np.where(sin_poly, s, c)
    cos = np.where(sin_poly, c, s)
    sin = np.where((j & 4) != 0, -sin, sin)
    cos = np.where(((j - 2) & 4) == 0, -cos, cos)
    return sin, cos


_CACHE_ROWS = 4096   # blocks of 16 per vectorised pass, so temporaries stay in cache


def _box_muller_f32(u, mean, std):
    """ATen's AVX2 normal_fill_16 on rows of 16 float32 uniforms."""
    radius = np.sqrt(_F(-2) * _avx_log(_F(1) - u[:, :8]))
    sin, cos = _avx_sincos(_F(2.0 * math.pi) * u[:, 8:])
    out = np.empty_like(u)
    out[:, :8] = _fma32(radius * cos, _F(std), _F(mean))
    out[:, 8:] = _fma32(radius * sin, _F(std), _F(mean))
    return out


def _box_muller_f64(u, mean, std):
    """ATen's normal_fill_16 for double: C-library log, cos and sin, then std::fma."""
    theta = (2.0 * math.pi) * u[:, 8:]
    radius = np.sqrt(-2.0 * _libm('log', 1.0 - u[:, :8])).reshape(theta.shape)
    cos = _libm('cos', theta).reshape(theta.shape)
    sin = _libm('sin', theta).reshape(theta.shape)
    out = np.empty_like(u)
    out[:, :8] = _fma64(radius * cos, std, mean)
    out[:, 8:] = _fma64(radius * sin, std, mean)
    return out


# ----------------------------------------------------------------------------------------
# seeding helpers
# ----------------------------------------------------------------------------------------

def _unpack_seed(seed):
    """PyTorch's seed conversion to uint64: negatives wrap, more than 64 bits overflow."""
    if isinstance(seed, float) or not hasattr(seed, '__index__'):
        raise RuntimeError(f"manual_seed expected a long, but got {type(seed).__name__}")
    seed = seed.__index__()
    if seed < -(1 << 63) or seed >= (1 << 64):
        raise ValueError("Overflow when unpacking long long")
    return seed & 0xFFFFFFFFFFFFFFFF


def _init_genrand(seed32):
    """The classic mt19937 seeding of the 624-word state from a 32-bit seed."""
    key = [seed32]
    for i in range(1, _N):
        prev = key[-1]
        key.append((1812433253 * (prev ^ (prev >> 30)) + i) & 0xFFFFFFFF)
    return np.array(key, dtype=np.uint32)


def _c_array(array, dtype=None):
    """A C-contiguous array of ``dtype`` with the same shape (0-d stays 0-d, unlike
    ``np.ascontiguousarray``)."""
    return np.array(array, dtype=dtype, order='C', copy=None) if array.ndim else \
        np.array(array, dtype=dtype)


def _numel(shape):
    n = 1
    for s in shape:
        n *= int(s)
    return n


def _float_bounds(low, high, dt):
    """ATen's update_from/update_to: pull bounds the float type cannot hold back inside."""
    digits = _mantissa_digits(dt)

    def as_float_int(v):
        return int(_scalar_in(float(v), dt).astype(np.float64)[0])

    up = as_float_int(low + 1)
    if up < low:
        low = up + (1 << ((abs(low + 1).bit_length() - 1) - digits + 1))
    down = as_float_int(high - 1)
    if down >= high:
        high = down - (1 << ((abs(high - 1).bit_length() - 1) - digits + 1))
    return low, high


# ----------------------------------------------------------------------------------------
# the generator
# ----------------------------------------------------------------------------------------

class Generator:
    """A CPU pseudo-random number generator whose streams equal ``torch.Generator``'s.

    Args:
        device: the device the generator belongs to (kept as ``Generator.device``).

    A new generator is seeded with PyTorch's default seed (67280421310721). Seeding, state
    bytes and every draw match ``torch.Generator`` on the CPU, including the spare normal
    value that PyTorch caches between calls.
    """

    def __init__(self, device='cpu'):
        self.device = device
        self._mt = None     # made on first use: numpy.random costs ~15 ms to import
        self._initial_seed = _DEFAULT_SEED
        self._next_when_exhausted = 0
        self._normal_double = None
        self._normal_float = None

    @property
    def _engine(self):
        if self._mt is None:
            self._mt = np.random.MT19937(0)
            self._seed_engine(self._initial_seed)
        return self._mt

    # -- seeding and state -------------------------------------------------------------

    def _seed_engine(self, seed64):
        seed32 = seed64 & 0xFFFFFFFF
        if hasattr(self._engine, '_legacy_seeding'):
            self._engine._legacy_seeding(seed32)
        else:
            self._engine.state = {'bit_generator': 'MT19937',
                                  'state': {'key': _init_genrand(seed32), 'pos': _N}}
        self._initial_seed = seed64
        # A freshly seeded PyTorch engine reports next == 0 although its next draw starts a
        # new block (NumPy says pos == 624); remember the value for get_state_bytes.
        self._next_when_exhausted = 0
        self._normal_double = None    # spare Box-Muller value of normal_distribution<double>
        self._normal_float = None     # float twin; no CPU kernel sets it, kept for the state

    def manual_seed(self, seed):
        """Sets the seed for generating random numbers and returns this generator.

        Any integer in [-2**63, 2**64) is accepted; negative seeds wrap modulo 2**64.
        """
        self._seed_engine(_unpack_seed(seed))
        return self

    def seed(self):
        """Seeds the generator from a non-deterministic source and returns that seed."""
        # c10 reads 64 bits from /dev/urandom for CPU generators
        value = int.from_bytes(os.urandom(8), 'little')
        self._seed_engine(value)
        return value

    def initial_seed(self):
        """Returns the initial seed for generating random numbers."""
        return self._initial_seed

    def get_state_bytes(self):
        """The state as uint8, laid out exactly like ``torch.Generator().get_state()``."""
        st = self._engine.state['state']
        pos = int(st['pos'])
        nxt = pos
        if pos == _N and self._next_when_exhausted is not None:
            nxt = self._next_when_exhausted
        buf = np.zeros(_STATE_SIZE, dtype=np.uint8)
        buf[_OFF_SEED:_OFF_SEED + 8] = np.array([self._initial_seed], '<u8').view(np.uint8)
        # PyTorch counts the words left in the block, plus one; seeded is always 1
        buf[_OFF_LEFT:_OFF_SEEDED + 4] = np.array([_N + 1 - pos, 1], '<i4').view(np.uint8)
        buf[_OFF_NEXT:_OFF_NEXT + 8] = np.array([nxt], '<u8').view(np.uint8)
        words = np.asarray(st['key'], dtype=np.uint32).astype('<u8')
        buf[_OFF_WORDS:_OFF_WORDS + 8 * _N] = words.view(np.uint8)
        if self._normal_double is not None:
            buf[_OFF_NORMAL_Y:_OFF_NORMAL_Y + 8] = np.array(
                [self._normal_double], '<f8').view(np.uint8)
            buf[_OFF_NORMAL_VALID:_OFF_NORMAL_VALID + 4] = np.array([1], '<i4').view(np.uint8)
        if self._normal_float is not None:
            buf[_OFF_FLOAT_NORMAL:_OFF_FLOAT_NORMAL + 4] = np.array(
                [self._normal_float], '<f4').view(np.uint8)
            buf[_OFF_FLOAT_VALID] = 1
        return buf

    def set_state_bytes(self, arr):
        """Restores a state from ``get_state_bytes`` or ``torch.Generator().get_state()``."""
        buf = np.ascontiguousarray(arr).reshape(-1)
        if buf.dtype != np.uint8:
            raise TypeError("RNG state must be a torch.ByteTensor")
        if buf.size != _STATE_SIZE:
            raise RuntimeError(
                f"Expected a CPUGeneratorImplState of size {_STATE_SIZE} but found the input "
                f"RNG state size to be {buf.size}")
        seed = int(buf[_OFF_SEED:_OFF_SEED + 8].view('<u8')[0])
        left, seeded = (int(v) for v in buf[_OFF_LEFT:_OFF_SEEDED + 4].view('<i4'))
        # ATen narrows `next` to 32 bits before validating
        nxt = int(buf[_OFF_NEXT:_OFF_NEXT + 8].view('<u8')[0]) & 0xFFFFFFFF
        if not (seeded != 0 and 0 < left <= _N and nxt <= _N):
            raise RuntimeError("Invalid mt19937 state")
        words = buf[_OFF_WORDS:_OFF_WORDS + 8 * _N].view('<u8').astype(np.uint32)
        self._engine.state = {'bit_generator': 'MT19937',
                              'state': {'key': words, 'pos': _N + 1 - left}}
        self._initial_seed = seed
        self._next_when_exhausted = nxt if left == 1 else None
        valid = int(buf[_OFF_NORMAL_VALID:_OFF_NORMAL_VALID + 4].view('<i4')[0])
        self._normal_double = (float(buf[_OFF_NORMAL_Y:_OFF_NORMAL_Y + 8].view('<f8')[0])
                               if valid else None)
        self._normal_float = (float(buf[_OFF_FLOAT_NORMAL:_OFF_FLOAT_NORMAL + 4].view('<f4')[0])
                              if buf[_OFF_FLOAT_VALID] else None)

    # -- raw draws -----------------------------------------------------------------------

    def _raw32(self, n):
        """n consecutive 32-bit words (as uint64, wide enough for the kernels' arithmetic)."""
        if n <= 0:
            return np.zeros(0, dtype=_U64)
        self._next_when_exhausted = None
        return self._engine.random_raw(n)

    def _raw64(self, n):
        """n 64-bit draws (CPUGeneratorImpl::random64): two words, the first one high."""
        w = self._raw32(2 * n)
        return (w[0::2] << _U64(32)) | w[1::2]

    def _uniform_f64(self, n):
        """n draws of uniform_real_distribution<double>(0, 1): 53 bits of a 64-bit draw."""
        return (self._raw64(n) & _U64((1 << 53) - 1)).astype(np.float64) * (2.0 ** -53)

    def _uniform_f32(self, n):
        """n draws of uniform_real_distribution<float>(0, 1): 24 bits of a word."""
        return (self._raw32(n) & _U64((1 << 24) - 1)).astype(np.float32) * _F(2.0 ** -24)

    # -- distributions -------------------------------------------------------------------

    def uniform(self, shape, low, high, np_dtype):
        """Values of ``torch.rand`` / ``Tensor.uniform_(low, high)``: uniform on [low, high).

        float16 and bfloat16 are drawn in float; a value that rounds up to ``high`` is
        replaced by ``low``, as PyTorch does to keep the interval half-open.
        """
        dt = np.dtype(np_dtype)
        if dt.kind == 'c':
            # PyTorch fills the real view (real and imaginary parts interleaved)
            real = self.uniform(tuple(shape) + (2,), low, high, _REAL_OF[dt.name])
            return real.view(dt).reshape(shape)
        n = _numel(shape)
        if dt == np.float64:
            lo, hi = float(low), float(high)
            out = _fma64(self._uniform_f64(n), hi - lo, lo)
        else:
            lo = _F(low)
            hi = _F(high)
            out = _from_f32(_fma32(self._uniform_f32(n), hi - lo, lo), dt)
        top, bottom = _scalar_in(high, dt), _scalar_in(low, dt)
        out = np.where(out == top, bottom, out)
        return _c_array(out.reshape(shape), dt)

    def normal(self, shape, mean, std, np_dtype, contiguous=True):
        """Values of ``torch.randn`` / ``Tensor.normal_(mean, std)``.

        A contiguous tensor of 16 or more elements is filled by Box-Muller on blocks of 16
        (elements j and j + 8 of a block form a pair); when the size is not a multiple of 16
        the last 16 elements are redrawn and transformed again. Smaller tensors, or
        non-contiguous ones (``contiguous=False``), take the scalar path: one pair per two
        values, in double, whose spare value stays cached in the generator for the next call.
        """
        dt = np.dtype(np_dtype)
        if dt.kind == 'c':
            # PyTorch fills the real view with std / sqrt(2) so |z| has variance std**2
            real = self.normal(tuple(shape) + (2,), mean, float(std) / math.sqrt(2),
                               _REAL_OF[dt.name], contiguous)
            return real.view(dt).reshape(shape)
        n = _numel(shape)
        if n >= 16 and contiguous:
            out = self._normal_blocks(n, mean, std, dt)
        else:
            out = _from_f64(self._normal_scalar(n, mean, std), dt)
        return _c_array(out.reshape(shape), dt)

    def _normal_blocks(self, n, mean, std, dt):
        full = n // 16
        tail = n % 16 != 0
        if dt == np.float64:
            u = self._uniform_f64(n)
            out = np.empty(n, dtype=np.float64)
            out[:full * 16] = _box_muller_f64(u[:full * 16].reshape(full, 16),
                                              float(mean), float(std)).reshape(-1)
            if tail:
                out[n - 16:] = _box_muller_f64(self._uniform_f64(16).reshape(1, 16),
                                               float(mean), float(std)).reshape(-1)
            return out
        # float32 fills the whole tensor with uniforms first; float16/bfloat16 compute in a
        # float buffer of 16 and so draw only what the full blocks use.
        u = self._uniform_f32(n if dt == np.float32 else full * 16)
        out = np.empty(n, dtype=np.float32)
        blocks = u[:full * 16].reshape(full, 16)
        rows = _CACHE_ROWS
        for i in range(0, full, rows):        # cache-sized pieces: ~3x faster than one pass
            stop = min(i + rows, full)
            out[i * 16:stop * 16] = _box_muller_f32(blocks[i:stop], mean, std).reshape(-1)
        if tail:
            out[n - 16:] = _box_muller_f32(self._uniform_f32(16).reshape(1, 16),
                                           mean, std).reshape(-1)
        return _from_f32(out, dt)

    def _normal_scalar(self, n, mean, std):
        """at::normal_distribution<double>, value by value, sharing the generator's cache."""
        vals = np.empty(n, dtype=np.float64)
        start = 0
        if n and self._normal_double is not None:
            vals[0] = self._normal_double
            self._normal_double = None
            start = 1
        fresh = n - start
        pairs = (fresh + 1) // 2
        if pairs:
            u = self._uniform_f64(2 * pairs).reshape(pairs, 2)
            radius = np.sqrt(-2.0 * _libm('log1p', -u[:, 1]))
            theta = (2.0 * math.pi) * u[:, 0]
            seq = np.empty((pairs, 2), dtype=np.float64)
            seq[:, 0] = radius * _libm('cos', theta)
            seq[:, 1] = radius * _libm('sin', theta)
            vals[start:] = seq.reshape(-1)[:fresh]
            if fresh % 2:
                self._normal_double = float(seq[-1, 1])
        return _fma64(vals, float(std), float(mean))

    def random_int(self, shape, low, high, np_dtype):
        """Values of ``torch.randint(low, high)`` / ``Tensor.random_(low, high)``.

        ``(draw % (high - low)) + low`` with a 64-bit draw once the range reaches 2**28 and
        a 32-bit one below. For floating dtypes, bounds the type cannot represent are first
        moved inside as PyTorch does. ``high - low == 2**64`` (``random_(-2**63)`` on int64)
        gives the full 64-bit range.
        """
        dt = np.dtype(np_dtype)
        n = _numel(shape)
        low, high = int(low), int(high)
        if high - low == 1 << 64:
            val = self._raw64(n).view(np.int64)
        else:
            if _is_floating(dt):
                low, high = _float_bounds(low, high, dt)
            span = high - low
            raw = self._raw64(n) if span >= 1 << 28 else self._raw32(n)
            # (val % range) + base in uint64 arithmetic, wrapping like C++, read as int64
            val = ((raw % _U64(span)) + _U64(low & 0xFFFFFFFFFFFFFFFF)).view(np.int64)
        return _c_array(_from_int64(val, dt).reshape(shape))

    def random_full(self, shape, np_dtype):
        """Values of ``Tensor.random_()``: [0, 2**mantissa] for floats, [0, max] for ints."""
        dt = np.dtype(np_dtype)
        n = _numel(shape)
        if dt.name in _UNSIGNED_NAMES:
            raise RuntimeError(
                f'"random_kernel_cpu" not implemented for \'{_UNSIGNED_NAMES[dt.name]}\'')
        if dt == np.bool_:
            out = (self._raw32(n) & _U64(1)).astype(np.bool_)
        elif _is_floating(dt):
            raw = self._raw64(n) if dt == np.float64 else self._raw32(n)
            modulus = (1 << _mantissa_digits(dt)) + 1
            out = _from_int64((raw % _U64(modulus)).view(np.int64), dt)
        else:
            raw = self._raw64(n) if dt == np.int64 else self._raw32(n)
            out = (raw % _U64(int(np.iinfo(dt).max) + 1)).astype(dt)
        return _c_array(out.reshape(shape))

    def exponential(self, shape, lambd, np_dtype):
        """Values of ``Tensor.exponential_(lambd)``: ``-1/lambd * log1p(-u)`` in double."""
        dt = np.dtype(np_dtype)
        n = _numel(shape)
        u = self._uniform_f64(n)
        with np.errstate(divide='ignore', invalid='ignore'):
            scale = np.float64(-1.0) / np.float64(lambd)
        out = scale * _libm('log1p', -u)
        return _c_array(_from_f64(out, dt).reshape(shape))

    def bernoulli(self, p, shape, np_dtype):
        """Values of ``Tensor.bernoulli_(p)`` (p a float) or ``torch.bernoulli(p)`` (p an array).

        A float p, or a float64 array, is compared with 53-bit uniform doubles; arrays of
        other dtypes are compared, in float, with 24-bit uniform floats.
        """
        dt = np.dtype(np_dtype)
        n = _numel(shape)
        if isinstance(p, np.ndarray) and p.dtype != np.float64:
            prob = np.broadcast_to(p.astype(np.float32), shape).reshape(-1)
            hit = self._uniform_f32(n) < prob
        else:
            prob = np.broadcast_to(np.asarray(p, dtype=np.float64), shape).reshape(-1)
            hit = self._uniform_f64(n) < prob
        return _c_array(hit.astype(dt).reshape(shape))

    def randperm(self, n, np_dtype):
        """A random permutation of 0..n-1, like ``torch.randperm(n)``."""
        n = int(n)
        if n < 0xFFFFFFFF // 20:
            perm = self._randperm_swaps(n)
        else:
            perm = self._randperm_inside_out(n)
        return np.ascontiguousarray(perm.astype(np.dtype(np_dtype)))

    def _randperm_swaps(self, n):
        # ATen: for i in 0..n-2, swap r[i] and r[i + random() % (n - i)]. The draws do not
        # depend on the data, so the swaps are resolved without replaying them one by one.
        steps = np.arange(n, dtype=np.int64)
        if n <= 1:
            return steps
        z = np.zeros(n, dtype=np.int64)
        z[:-1] = (self._raw32(n - 1) % (n - steps[:-1]).astype(_U64)).astype(np.int64)
        return _resolve_swaps(steps + z)     # the last slot acts as a swap with itself

    def _randperm_inside_out(self, n):
        # ATen's branch for huge n: a[i] = a[z]; a[z] = i with z = random64() % (i + 1).
        steps = np.arange(n, dtype=np.int64)
        z = (self._raw64(n) % (steps + 1).astype(_U64)).astype(np.int64)
        return _resolve_inside_out(z)

    def multinomial(self, probs, num_samples, replacement):
        """Indices of ``torch.multinomial(probs, num_samples, replacement)`` (int64).

        Without replacement, and for a single sample, PyTorch takes the largest
        ``probs / q`` with ``q ~ Exp(1)`` drawn like ``probs`` (the exponential form of the
        Gumbel-max trick). With replacement it inverts the normalised cumulative sum with one
        uniform double per sample, row by row.
        """
        probs = np.asarray(probs)
        rows = probs.reshape(1, -1) if probs.ndim == 1 else probs
        k = int(num_samples)
        if not replacement or k == 1:
            q = self.exponential(rows.shape, 1.0, rows.dtype)
            with np.errstate(divide='ignore', invalid='ignore'):
                keys = (rows / q).astype(rows.dtype).astype(np.float64)
            if k == 1:
                out = np.argmax(keys, axis=-1).reshape(-1, 1)
            else:
                out = np.argsort(-keys, axis=-1, kind='stable')[:, :k]
        else:
            out = self._multinomial_replacement(rows, k)
        out = out.astype(np.int64)
        return np.ascontiguousarray(out.reshape(-1) if probs.ndim == 1 else out)

    def _multinomial_replacement(self, rows, k):
        # ATen: running sum in float (double for float64 input), divided by the total, last
        # bucket forced to 1; a sample is the first bucket not below its uniform.
        acc = np.float64 if rows.dtype == np.float64 else np.float32
        total = np.cumsum(rows.astype(acc), axis=-1, dtype=acc)   # sequential, like the C loop
        cdf = (total / total[:, -1:]).astype(acc).astype(np.float64)
        cdf[:, -1] = 1.0
        n_dist, n_cat = cdf.shape
        u = self._uniform_f64(n_dist * k).reshape(n_dist, k)
        # A searchsorted for every row at once: sort bounds and samples together by
        # (row, value), samples before equal bounds, and count the bounds ahead of each.
        row = np.concatenate([np.repeat(np.arange(n_dist, dtype=np.int64), n_cat),
                              np.repeat(np.arange(n_dist, dtype=np.int64), k)])
        value = np.concatenate([cdf.reshape(-1), u.reshape(-1)])
        is_bound = np.concatenate([np.ones(cdf.size, np.int64), np.zeros(u.size, np.int64)])
        order = np.lexsort((is_bound, value, row))
        ahead = np.empty(order.size, dtype=np.int64)
        ahead[order] = np.cumsum(is_bound[order]) - is_bound[order]
        counts = ahead[cdf.size:] - row[cdf.size:] * n_cat
        return np.minimum(counts, n_cat - 1).reshape(n_dist, k)


# ----------------------------------------------------------------------------------------
# randperm without replaying the shuffle
# ----------------------------------------------------------------------------------------

def _follow_links(link, value):
    """Resolve value[i] = value[link[i]] (where value[i] < 0) by pointer doubling."""
    link = link.copy()
    value = value.copy()
    while True:
        pending = value < 0
        if not pending.any():
            return value
        updated = np.where(pending, value[link], value)
        jumped = link[link]
        if np.array_equal(updated, value) and np.array_equal(jumped, link):
            raise RuntimeError("randperm: unresolved permutation chain")
        value, link = updated, jumped


def _previous_in_group(key, n):
    """For each i, the largest j < i with key[j] == key[i] (or -1), and each group's last i."""
    order = np.argsort(key, kind='stable')      # by key, then by position
    ks = key[order]
    same = np.zeros(n, dtype=bool)
    same[1:] = ks[1:] == ks[:-1]
    prev = np.full(n, -1, dtype=np.int64)
    prev[order[1:][same[1:]]] = order[:-1][same[1:]]
    last = np.full(n, -1, dtype=np.int64)
    ends = np.ones(n, dtype=bool)
    ends[:-1] = ks[1:] != ks[:-1]
    last[ks[ends]] = order[ends]
    return prev, last


def _resolve_swaps(target):
    """Final r after swap(r[i], r[target[i]]) for i = 0..n-1 in order, r = arange, target >= i.

    Slot i is final after step i and holds what slot target[i] held just before: the value
    the latest earlier step aimed at target[i] brought there, or target[i] itself. That value
    is what the earlier step's own slot held before its step, found the same way, so the
    answer is a chain of "held before" links resolved by pointer doubling.
    """
    n = target.size
    steps = np.arange(n, dtype=np.int64)
    prev_same, last_aimed = _previous_in_group(target, n)
    # held[i]: slot i's value just before step i. Steps aimed at slot i all come no later
    # than step i, so the latest one before i is the group's last, or the one before i.
    k = np.where(target == steps, prev_same, last_aimed)
    held = _follow_links(np.where(k < 0, steps, k), np.where(k < 0, steps, -1))
    return np.where(prev_same >= 0, held[np.maximum(prev_same, 0)], target)


def _resolve_inside_out(z):
    """Final a after a[i] = a[z[i]]; a[z[i]] = i for i = 0..n-1 (z[i] <= i)."""
    n = z.size
    steps = np.arange(n, dtype=np.int64)
    prev_same, last_aimed = _previous_in_group(z, n)
    # a[p] ends as the last step aimed at p after p; otherwise as what step p wrote there:
    # p itself when z[p] == p, else a[z[p]] just before step p, which is the previous step
    # aimed at z[p] if that came after z[p], or whatever step z[p] wrote.
    self_aimed = z == steps
    leaf = ~self_aimed & (prev_same > z)
    written = np.where(self_aimed, steps, np.where(leaf, prev_same, -1))
    link = np.where(self_aimed | leaf, steps, z)
    written = _follow_links(link, written)
    return np.where(last_aimed > steps, last_aimed, written)


default_generator = Generator()


def manual_seed(seed):
    """Sets the seed of the default CPU generator and returns it (like ``torch.manual_seed``)."""
    return default_generator.manual_seed(int(seed))


def seed():
    """Seeds the default generator non-deterministically and returns the seed."""
    return default_generator.seed()


def initial_seed():
    """Returns the initial seed of the default generator."""
    return default_generator.initial_seed()
