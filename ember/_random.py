"""PyTorch's CPU random number streams, reproduced bit for bit with NumPy.

PyTorch's CPU generator is a 32-bit Mersenne Twister (mt19937) seeded the classic way
(``init_genrand`` with the low 32 bits of the seed). NumPy ships the same engine as
``numpy.random.MT19937``, so the raw 32-bit words are identical; everything in this module
is about turning those words into values the way ATen's CPU kernels do:

* a "64-bit draw" is two consecutive 32-bit words, the first one high;
* ``uniform`` keeps the low 24 bits (float32), 53 bits (float64), 11 bits (float16) or 8
  bits (bfloat16) of a draw and scales them to [0, 1);
* ATen is compiled with floating-point contraction, so every ``a * b + c`` in a kernel is a
  fused multiply-add; we emulate the single rounding exactly (see ``_fma32``/``_fma64``);
* the float64 kernels call the C library's ``log``/``sin``/``cos``. NumPy's own SIMD versions
  differ from the C library in the last bit for a fraction of inputs, so ``_libm`` computes in
  extended precision and asks Python's ``math`` (the same C library PyTorch links) only for the
  few inputs whose result lies too close to a rounding boundary to decide.

Everything is vectorised; the only per-element Python work is that boundary fallback and the
scalar ``normal`` path PyTorch uses below 16 elements.

Known limits (values still match PyTorch on the x86-64 CPUs its wheels target):

* float32 ``normal`` with 16 or more elements reproduces the AVX2 kernel (Cephes-style
  polynomials for log, sin and cos). A CPU without AVX2, or a non-x86 build, runs a different
  kernel in PyTorch and its float32 normals differ in the last bits.
* float16/bfloat16 ``normal`` with 16 or more elements goes through the C library's float
  ``logf``/``sinf``/``cosf``; we use correctly rounded float results. The two can only disagree
  where a float result lands within a float ulp of a float16/bfloat16 rounding boundary
  (about one element in ten thousand at most; none seen in testing).
"""
import math
import os

import numpy as np

__all__ = ['Generator', 'default_generator', 'manual_seed', 'seed', 'initial_seed']

_N = 624                      # words in the mt19937 state
_DEFAULT_SEED = 67280421310721  # at::default_rng_seed_val
_STATE_SIZE = 5056            # sizeof(CPUGeneratorImplState)
_U64 = np.uint64

# Byte offsets in the state blob: the legacy THGenerator POD (seed, left, seeded, next,
# 624 uint64 words, three doubles for the old normal cache, an int flag and padding),
# followed by the float normal cache and its flag, padded to 8 bytes.
_OFF_SEED, _OFF_LEFT, _OFF_SEEDED, _OFF_NEXT, _OFF_WORDS = 0, 8, 12, 16, 24
_OFF_NORMAL_Y, _OFF_NORMAL_VALID = 5024, 5040
_OFF_FLOAT_NORMAL, _OFF_FLOAT_VALID = 5048, 5052


# ----------------------------------------------------------------------------------------
# dtype helpers
# ----------------------------------------------------------------------------------------

def _is_bfloat16(dt):
    return dt.name == 'bfloat16'


def _mantissa_digits(dt):
    """std::numeric_limits<T>::digits for PyTorch's floating types."""
    if _is_bfloat16(dt):
        return 8
    return {2: 11, 4: 24, 8: 53}[dt.itemsize]


def _from_f32(x32, dt):
    """Round float32 values to ``dt`` the way c10::Half / c10::BFloat16 do (nearest-even)."""
    if dt == np.float32:
        return x32
    return x32.astype(dt)


def _from_f64(x64, dt):
    """static_cast<T>(double): float16 and bfloat16 go through float first, like c10."""
    if dt == np.float64:
        return x64
    x32 = x64.astype(np.float32)
    return x32 if dt == np.float32 else x32.astype(dt)


def _scalar_as(value, dt):
    """A Python number converted to the kernel's scalar_t, returned as a float32/64 scalar."""
    v = _from_f64(np.array([value], dtype=np.float64), dt)
    return v.astype(np.float64 if dt == np.float64 else np.float32)[0]


# ----------------------------------------------------------------------------------------
# exact fused multiply-add
# ----------------------------------------------------------------------------------------

def _two_sum(a, b):
    """s + e == a + b exactly, s = fl(a + b) (Knuth)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _two_prod(a, b):
    """p + e == a * b exactly, p = fl(a * b) (Dekker, Veltkamp splitting)."""
    p = a * b
    c = 134217729.0 * a
    ah = c - (c - a)
    al = a - ah
    c = 134217729.0 * b
    bh = c - (c - b)
    bl = b - bh
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _fma64(a, b, c):
    """fma(a, b, c) for float64 arrays with one rounding, as the compiled kernels compute it."""
    with np.errstate(all='ignore'):
        a, b, c = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(b, np.float64),
                                      np.asarray(c, np.float64))
        p, pe = _two_prod(a, b)
        s, se = _two_sum(p, c)
        t, te = _two_sum(se, pe)
        r, re = _two_sum(s, t)
        # The exact value is r + re + te with |te| far below r's spacing, so te only matters
        # when s + t sits exactly halfway between two doubles and round-to-even chose the
        # side away from te.
        toward = np.nextafter(r, np.where(re > 0, np.inf, -np.inf))
        tie = (re != 0) & (2.0 * re == toward - r) & (te != 0) & ((te > 0) == (re > 0))
        out = np.where(tie, toward, r)
        # Infinite or NaN operands: the plain expression already has the IEEE answer.
        bad = ~np.isfinite(out) | ~np.isfinite(p)
        if bad.any():
            out = np.where(bad, a * b + c, out)
    return out


def _round_dd_to_f32(s, e):
    """Round the double-double s + e (|e| <= half an ulp of s) to float32 correctly."""
    r = s.astype(np.float32)
    r64 = r.astype(np.float64)
    up = s > r64
    other = np.nextafter(r, np.where(up, np.float32(np.inf), np.float32(-np.inf)))
    o64 = other.astype(np.float64)
    # s can only be rounded the wrong way if it is exactly a float32 midpoint; then the sign
    # of the error term decides.
    mid = (s != r64) & ((r64 + o64) * 0.5 == s) & (e != 0)
    if mid.any():
        toward_other = (e > 0) == up
        r = np.where(mid & toward_other, other, r)
    return r


def _fma32(a, b, c):
    """fma(a, b, c) on float32 with a single rounding (float64 holds a*b exactly)."""
    with np.errstate(all='ignore'):
        a, b, c = np.broadcast_arrays(np.asarray(a, np.float32), np.asarray(b, np.float32),
                                      np.asarray(c, np.float32))
        p = a.astype(np.float64) * b.astype(np.float64)
        s, e = _two_sum(p, c.astype(np.float64))
        return _round_dd_to_f32(s, e)


# ----------------------------------------------------------------------------------------
# C library math
# ----------------------------------------------------------------------------------------

def _libm(name, x):
    """Element-wise C-library ``name`` (log, log1p, sin, cos) of float64 values, as ATen gets it.

    NumPy's SIMD log/log1p differ from the C library in the last bit for a fraction of inputs
    (and the C library itself dispatches between plain and FMA builds), so the exact answer
    comes from Python's ``math``, which calls the same C library PyTorch links. ``map`` runs
    the loop in C: no Python bytecode per element. Our inputs are always inside the domain.
    """
    x = np.ascontiguousarray(x, dtype=np.float64).reshape(-1)
    return np.fromiter(map(getattr(math, name), x.tolist()), dtype=np.float64, count=x.size)


# ----------------------------------------------------------------------------------------
# AVX2 float32 Box-Muller (ATen's normal_fill_16_AVX2 with avx_mathfun's log and sincos)
# ----------------------------------------------------------------------------------------

_F = np.float32
_LOG_POLY = [_F(v) for v in (7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1,
                             -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1,
                             2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1)]


def _avx_log(x):
    """Cephes single-precision log as vectorised in avx_mathfun (valid for x > 0)."""
    x = np.maximum(x, np.array(0x00800000, np.uint32).view(np.float32))
    bits = x.view(np.uint32)
    e = ((bits >> np.uint32(23)).astype(np.int32) - 127).astype(np.float32) + _F(1)
    m = ((bits & np.uint32(0x807FFFFF)) | np.uint32(0x3F000000)).view(np.float32)
    # Fold the mantissa from [0.5, 1) to [sqrt(1/2) - 1, sqrt(2) - 1).
    small = m < _F(0.707106781186547524)
    t = m - _F(1)
    e = e - np.where(small, _F(1), _F(0))
    t = t + np.where(small, m, _F(0))
    z = t * t
    y = np.full_like(t, _LOG_POLY[0])
    for coef in _LOG_POLY[1:]:
        y = _fma32(y, t, coef)          # GCC contracts each Horner step into an FMA
    y = y * t
    y = _fma32(y, z, e * _F(-2.12194440e-4))
    y = y - z * _F(0.5)                 # exact scaling: fused or not, the same value
    return _fma32(e, _F(0.693359375), t + y)


def _avx_sincos(x):
    """Cephes single-precision sin and cos as vectorised in avx_mathfun (x >= 0 here)."""
    j = (x * _F(1.27323954473516)).astype(np.int32)
    j = (j + 1) & np.int32(-2)
    y = j.astype(np.float32)
    # Extended-precision range reduction x - j*pi/4 with pi/4 split in three parts.
    r = _fma32(y, _F(-0.78515625), x)
    r = _fma32(y, _F(-2.4187564849853515625e-4), r)
    r = _fma32(y, _F(-3.77489497744594108e-8), r)
    z = r * r
    c = _fma32(_F(2.443315711809948e-5), z, _F(-1.388731625493765e-3))
    c = _fma32(c, z, _F(4.166664568298827e-2))
    c = c * z
    c = _fma32(c, z, -(z * _F(0.5)))
    c = c + _F(1)
    s = _fma32(_F(-1.9515295891e-4), z, _F(8.3321608736e-3))
    s = _fma32(s, z, _F(-1.6666654611e-1))
    s = s * z
    s = _fma32(s, r, r)
    use_sin_poly = (j & 2) == 0
    sin = np.where(use_sin_poly, s, c)
    cos = np.where(use_sin_poly, c, s)
    sin = np.where((j & 4) != 0, -sin, sin)
    cos = np.where(((j - 2) & 4) == 0, -cos, cos)
    return sin, cos


def _box_muller_avx_f32(u, mean, std):
    """Transform blocks of 16 uniforms (rows of ``u``): pairs are columns j and j + 8."""
    u1 = _F(1) - u[:, :8]
    u2 = u[:, 8:]
    radius = np.sqrt(_F(-2) * _avx_log(u1))
    sin, cos = _avx_sincos(_F(2.0 * math.pi) * u2)
    mean = _F(mean)
    std = _F(std)
    out = np.empty_like(u)
    out[:, :8] = _fma32(radius * cos, std, mean)
    out[:, 8:] = _fma32(radius * sin, std, mean)
    return out


def _box_muller_f64(u, mean, std):
    """ATen's normal_fill_16 for double: C-library log, cos and sin."""
    u1 = 1.0 - u[:, :8]
    theta = (2.0 * math.pi) * u[:, 8:]
    radius = np.sqrt(-2.0 * _libm('log', u1.ravel())).reshape(u1.shape)
    cos = _libm('cos', theta.ravel()).reshape(theta.shape)
    sin = _libm('sin', theta.ravel()).reshape(theta.shape)
    out = np.empty_like(u)
    out[:, :8] = _fma64(radius * cos, std, mean)
    out[:, 8:] = _fma64(radius * sin, std, mean)
    return out


def _box_muller_reduced(u, mean, std, dt):
    """ATen's normal_fill_16 for float16/bfloat16 (c10 arithmetic rounds every step to dt).

    ``u`` holds the uniforms as float32. std::log/cos/sin of a c10 half type return the same
    half type, computed as the float function of the float value.
    """
    def r(v):
        return _from_f32(np.asarray(v, np.float32), dt).astype(np.float32)

    def f32_of(name, v):
        # Correctly rounded float result of the float C function (see module notes).
        return getattr(np, name)(v.astype(np.float64)).astype(np.float32)

    mean = r(_F(mean))
    std = r(_F(std))
    u1 = r(_F(1) - u[:, :8])
    u2 = u[:, 8:]
    radius = r(np.sqrt(r(_F(-2) * r(f32_of('log', u1)))))
    theta = r(((2.0 * math.pi) * u2.astype(np.float64)).astype(np.float32))
    out = np.empty(u.shape, np.float32)
    out[:, :8] = r(r(r(radius * r(f32_of('cos', theta))) * std) + mean)
    out[:, 8:] = r(r(r(radius * r(f32_of('sin', theta))) * std) + mean)
    return out


# ----------------------------------------------------------------------------------------
# the generator
# ----------------------------------------------------------------------------------------

def _unpack_seed(seed):
    """PyTorch's conversion of a seed to uint64: negatives wrap, beyond 64 bits overflows."""
    if isinstance(seed, float) or not hasattr(seed, '__index__'):
        raise RuntimeError(
            f"manual_seed expected a long, but got {type(seed).__name__}")
    seed = int(seed.__index__())
    if seed < -(1 << 63) or seed >= (1 << 64):
        raise ValueError("Overflow when unpacking long long")
    return seed & 0xFFFFFFFFFFFFFFFF


def _init_genrand(seed32):
    """The classic mt19937 seeding of the 624-word state from a 32-bit seed."""
    key = [seed32]
    prev = seed32
    for i in range(1, _N):
        prev = (1812433253 * (prev ^ (prev >> 30)) + i) & 0xFFFFFFFF
        key.append(prev)
    return np.array(key, dtype=np.uint32)


def _numel(shape):
    n = 1
    for s in shape:
        n *= int(s)
    return n


class Generator:
    """A CPU pseudo-random number generator whose streams equal ``torch.Generator``'s.

    Args:
        device: the device the generator belongs to (kept for ``Generator.device``).

    A new generator is seeded with PyTorch's default seed (67280421310721); seeding, state
    bytes and every draw match ``torch.Generator`` on the CPU.
    """

    def __init__(self, device='cpu'):
        self.device = device
        self._engine = np.random.MT19937(0)
        self._seed_engine(_DEFAULT_SEED)

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
        # new block, which NumPy expresses as pos == 624; remember it for get_state.
        self._next_when_exhausted = 0
        self._normal_double = None    # cached second Box-Muller value (double path)
        self._normal_float = None     # float cache: unused by these kernels, kept for state

    def manual_seed(self, seed):
        """Sets the seed for generating random numbers. Returns this generator.

        Accepts any integer in [-2**63, 2**64); negative seeds wrap modulo 2**64.
        """
        self._seed_engine(_unpack_seed(seed))
        return self

    def seed(self):
        """Seeds the generator from a non-deterministic source and returns that seed."""
        # c10 keeps non-deterministic seeds to 53 bits so they survive a round trip
        # through a double.
        value = int.from_bytes(os.urandom(8), 'little') & ((1 << 53) - 1)
        self._seed_engine(value)
        return value

    def initial_seed(self):
        """Returns the initial seed for generating random numbers."""
        return self._initial_seed

    def get_state_bytes(self):
        """The generator state as uint8, laid out exactly like ``torch.Generator.get_state()``."""
        st = self._engine.state['state']
        pos = int(st['pos'])
        buf = np.zeros(_STATE_SIZE, dtype=np.uint8)
        buf[_OFF_SEED:_OFF_SEED + 8] = np.array([self._initial_seed], '<u8').view(np.uint8)
        head = np.array([_N + 1 - pos, 1], '<i4')          # left, seeded
        buf[_OFF_LEFT:_OFF_SEEDED + 4] = head.view(np.uint8)
        nxt = pos
        if pos == _N and self._next_when_exhausted is not None:
            nxt = self._next_when_exhausted
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
        """Restores a state produced by ``get_state_bytes`` or ``torch.Generator.get_state()``."""
        buf = np.ascontiguousarray(arr).reshape(-1)
        if buf.dtype != np.uint8:
            raise TypeError("RNG state must be a torch.ByteTensor")
        if buf.size != _STATE_SIZE:
            raise RuntimeError(
                f"Expected a CPUGeneratorImplState of size {_STATE_SIZE} but found the input "
                f"RNG state size to be {buf.size}")
        seed = int(buf[_OFF_SEED:_OFF_SEED + 8].view('<u8')[0])
        left, seeded = (int(v) for v in buf[_OFF_LEFT:_OFF_SEEDED + 4].view('<i4'))
        nxt = int(buf[_OFF_NEXT:_OFF_NEXT + 8].view('<u8')[0])
        # ATen narrows `next` to 32 bits and `seeded` to bool before validating.
        nxt &= 0xFFFFFFFF
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

    # -- raw words -----------------------------------------------------------------------

    def _raw32(self, n):
        """n consecutive 32-bit outputs as uint64 (wide enough for the kernels' arithmetic)."""
        self._next_when_exhausted = None
        if n <= 0:
            return np.zeros(0, dtype=_U64)
        return self._engine.random_raw(n)

    def _raw64(self, n):
        """n 64-bit outputs, each built from two words with the first one high (random64)."""
        w = self._raw32(2 * n)
        return (w[0::2] << _U64(32)) | w[1::2]

    def _uniform_f64(self, n):
        """n draws of uniform_real_distribution<double>(0, 1): 53 bits of a 64-bit draw."""
        return (self._raw64(n) & _U64((1 << 53) - 1)).astype(np.float64) * (2.0 ** -53)

    def _uniform_f32(self, n, digits=24):
        """n float draws of uniform_real_distribution<T>(0, 1) with T's mantissa width."""
        w = self._raw32(n) & _U64((1 << digits) - 1)
        return w.astype(np.float32) * _F(2.0 ** -digits)

    # -- distributions -------------------------------------------------------------------

    def uniform(self, shape, low, high, np_dtype):
        """Values like ``torch.rand`` / ``Tensor.uniform_(low, high)``: uniform on [low, high)."""
        dt = np.dtype(np_dtype)
        n = _numel(shape)
        if dt == np.float64:
            lo, hi = float(low), float(high)
            out = _fma64(self._uniform_f64(n), hi - lo, lo)
        else:
            digits = _mantissa_digits(dt)
            lo, hi = _scalar_as(low, dt), _scalar_as(high, dt)
            # to - from is computed in scalar_t (c10 half types round the difference back)
            span = _scalar_as(float(np.float32(hi) - np.float32(lo)), dt)
            x = self._uniform_f32(n, digits)
            out = _from_f32(_fma32(x, span, lo), dt)
        return np.ascontiguousarray(out.reshape(shape))

    def normal(self, shape, mean, std, np_dtype, contiguous=True):
        """Values like ``torch.randn`` / ``Tensor.normal_(mean, std)``.

        Tensors of 16 or more elements (contiguous) use ATen's vectorised Box-Muller on
        blocks of 16; smaller or non-contiguous ones (``contiguous=False``) take the scalar
        path, which shares its spare value with later calls through the generator's cache.
        """
        dt = np.dtype(np_dtype)
        n = _numel(shape)
        if n >= 16 and contiguous:
            out = self._normal_blocks(n, mean, std, dt)
        else:
            out = _from_f64(self._normal_scalar(n, mean, std), dt)
        return np.ascontiguousarray(out.reshape(shape))

    def _normal_blocks(self, n, mean, std, dt):
        if dt == np.float32:
            draw = self._uniform_f32

            def transform(u):
                return _box_muller_avx_f32(u, mean, std)
        elif dt == np.float64:
            draw = self._uniform_f64

            def transform(u):
                return _box_muller_f64(u, float(mean), float(std))
        else:
            digits = _mantissa_digits(dt)

            def draw(k):
                # the uniforms are stored into the half tensor first (exact at these widths)
                return self._uniform_f32(k, digits)

            def transform(u):
                return _box_muller_reduced(u, mean, std, dt)
        u = draw(n)
        full = n // 16
        out = np.empty(n, dtype=np.float64 if dt == np.float64 else np.float32)
        out[:full * 16] = transform(u[:full * 16].reshape(full, 16)).reshape(-1)
        if n % 16:
            # ATen redraws 16 fresh uniforms for the last 16 slots and transforms them again.
            out[n - 16:] = transform(draw(16).reshape(1, 16)).reshape(-1)
        return out if dt in (np.float32, np.float64) else _from_f32(out, dt)

    def _normal_scalar(self, n, mean, std):
        """at::normal_distribution<double>: one Box-Muller pair per two values, with a cache."""
        mean, std = float(mean), float(std)
        vals = np.empty(n, dtype=np.float64)
        start = 0
        if n and self._normal_double is not None:
            vals[0] = self._normal_double
            self._normal_double = None
            start = 1
        m = n - start
        pairs = (m + 1) // 2
        if pairs:
            u = self._uniform_f64(2 * pairs).reshape(pairs, 2)
            u1, u2 = u[:, 0], u[:, 1]
            radius = np.sqrt(-2.0 * _map_math(math.log1p, -u2))
            theta = (2.0 * math.pi) * u1
            first = radius * _libm('cos', theta)
            second = radius * _libm('sin', theta)
            seq = np.empty(2 * pairs, dtype=np.float64)
            seq[0::2] = first
            seq[1::2] = second
            vals[start:] = seq[:m]
            if m % 2:
                self._normal_double = float(second[-1])
        return _fma64(vals, std, mean)

    def random_int(self, shape, low, high, np_dtype):
        """Values like ``torch.randint(low, high)`` / ``Tensor.random_(low, high)``."""
        dt = np.dtype(np_dtype)
        n = _numel(shape)
        low, high = int(low), int(high)
        span = high - low
        if span == 1 << 64:
            # random_(from=int64 min, to=None): the whole 64-bit range, one 64-bit draw each.
            val = self._raw64(n).view(np.int64)
        else:
            wide = span >= (1 << 32) and (dt in (np.float64, np.float32, np.int64)
                                          or _is_bfloat16(dt))
            raw = self._raw64(n) if wide else self._raw32(n)
            # (val % range) + base in uint64, wrapping like C++, then read as int64
            val = ((raw % _U64(span)) + _U64(low & 0xFFFFFFFFFFFFFFFF)).view(np.int64)
        return np.ascontiguousarray(_int64_to(val, dt).reshape(shape))

    def random_full(self, shape, np_dtype):
        """Values like ``Tensor.random_()``: [0, 2**mantissa] for floats, [0, max] for ints."""
        dt = np.dtype(np_dtype)
        n = _numel(shape)
        if dt == np.bool_:
            out = (self._raw32(n) & _U64(1)).astype(np.bool_)
        elif dt.kind == 'f' or _is_bfloat16(dt):
            digits = _mantissa_digits(dt)
            raw = self._raw64(n) if dt == np.float64 else self._raw32(n)
            out = _int64_to((raw % _U64((1 << digits) + 1)).view(np.int64), dt)
        else:
            raw = self._raw64(n) if dt == np.int64 else self._raw32(n)
            modulus = int(np.iinfo(dt).max) + 1
            out = (raw % _U64(modulus)).astype(dt)
        return np.ascontiguousarray(out.reshape(shape))

    def exponential(self, shape, lambd, np_dtype):
        """Values like ``Tensor.exponential_(lambd)``: -1/lambd * log(1 - u) in double."""
        dt = np.dtype(np_dtype)
        n = _numel(shape)
        u = self._uniform_f64(n)
        with np.errstate(divide='ignore'):
            out = (-1.0 / float(lambd)) * _libm('log', 1.0 - u)
        return np.ascontiguousarray(_from_f64(out, dt).reshape(shape))

    def bernoulli(self, p, shape, np_dtype):
        """Values like ``Tensor.bernoulli_(p)`` (p a float) or ``torch.bernoulli(p)`` (p an array).

        A float probability and a float64 probability array compare a 53-bit uniform double
        against p; other probability arrays compare a 24-bit uniform float.
        """
        dt = np.dtype(np_dtype)
        n = _numel(shape)
        if isinstance(p, np.ndarray) and p.dtype != np.float64:
            pf = np.broadcast_to(p.astype(np.float32), shape).reshape(-1)
            hit = self._uniform_f32(n) < pf
        else:
            pd = np.broadcast_to(np.asarray(p, dtype=np.float64), shape).reshape(-1)
            hit = self._uniform_f64(n) < pd
        return np.ascontiguousarray(hit.astype(dt).reshape(shape))

    def randperm(self, n, np_dtype):
        """A random permutation of 0..n-1 like ``torch.randperm(n)``."""
        n = int(n)
        if n < 0xFFFFFFFF // 20:
            perm = self._randperm_swaps(n)
        else:
            perm = self._randperm_inside_out(n)
        return np.ascontiguousarray(perm.astype(np.dtype(np_dtype)))

    def _randperm_swaps(self, n):
        # ATen: for i in 0..n-2, swap r[i] with r[i + random() % (n - i)]. Every draw is
        # independent of the data, so the swaps can be resolved without replaying them:
        # position i is final after step i, and holds what position t_i = i + z_i held just
        # before. That value came from the latest earlier step aimed at t_i (which moved in
        # whatever that step's own position held) or, if none, is t_i itself.
        if n <= 1:
            return np.arange(n, dtype=np.int64)
        steps = np.arange(n, dtype=np.int64)
        z = np.zeros(n, dtype=np.int64)
        z[:n - 1] = (self._raw32(n - 1) % (n - steps[:n - 1]).astype(_U64)).astype(np.int64)
        target = steps + z          # the last position behaves as a step aimed at itself
        return _resolve_chains(target, steps, n)

    def _randperm_inside_out(self, n):
        # ATen's branch for huge n: the "inside-out" shuffle with 64-bit draws,
        # a[i] = a[z]; a[z] = i for z = random64() % (i + 1).
        steps = np.arange(n, dtype=np.int64)
        z = (self._raw64(n) % (steps + 1).astype(_U64)).astype(np.int64)
        # a[p] ends as the last step i > p with z_i == p; otherwise as the value written at
        # step p, which is p when z_p == p and else what a[z_p] held just before step p:
        # the last step i < p aimed at z_p (if after z_p) or the value written at step z_p.
        order = np.lexsort((steps, z))
        zs = z[order]
        same_prev = np.empty(n, dtype=bool)
        same_prev[0] = False
        same_prev[1:] = zs[1:] == zs[:-1]
        prev = np.full(n, -1, dtype=np.int64)
        prev[order[1:][same_prev[1:]]] = order[:-1][same_prev[1:]]
        # value written at step p: a leaf value, or "same as the value written at step q"
        written = np.where(z == steps, steps, -1)
        link = np.where(z == steps, steps, z)
        leaf = (z != steps) & (prev > z)
        written = np.where(leaf, prev, written)
        link = np.where(leaf, steps, link)
        resolved = _follow_links(link, written)
        last = np.full(n, -1, dtype=np.int64)
        group_end = np.ones(n, dtype=bool)
        group_end[:-1] = zs[1:] != zs[:-1]
        ends = order[group_end]
        last[z[ends]] = ends
        overwritten = last > steps
        return np.where(overwritten, last, resolved)

    def multinomial(self, probs, num_samples, replacement):
        """Indices like ``torch.multinomial(probs, num_samples, replacement)`` (int64)."""
        probs = np.asarray(probs)
        rows = probs.reshape(1, -1) if probs.ndim == 1 else probs
        k = int(num_samples)
        if not replacement:
            # Gumbel-max in exponential form: the largest p / q with q ~ Exp(1), drawn as a
            # tensor shaped like probs and divided in probs' own dtype.
            q = self.exponential(rows.shape, 1.0, rows.dtype)
            with np.errstate(divide='ignore', invalid='ignore'):
                keys = (rows / q).astype(rows.dtype)
            keys64 = keys.astype(np.float64)
            if k == 1:
                out = np.argmax(keys64, axis=-1).reshape(-1, 1)
            else:
                out = np.argsort(-keys64, axis=-1, kind='stable')[:, :k]
        else:
            out = self._multinomial_replacement(rows, k)
        out = out.astype(np.int64)
        return np.ascontiguousarray(out.reshape(-1) if probs.ndim == 1 else out)

    def _multinomial_replacement(self, rows, k):
        # ATen: normalised running sum in scalar_t (float for the half types), last bucket
        # forced to 1, then for each sample the first bucket whose cumulative value is not
        # below a 53-bit uniform double. Uniforms are drawn row by row.
        acc = np.float64 if rows.dtype == np.float64 else np.float32
        vals = rows.astype(acc)
        total = np.cumsum(vals, axis=-1, dtype=acc)      # sequential, like the C loop
        cdf = (total / total[:, -1:]).astype(acc)
        cdf[:, -1] = 1
        n_dist, n_cat = cdf.shape
        u = self._uniform_f64(n_dist * k).reshape(n_dist, k)
        # searchsorted for every row at once: sort bucket bounds and samples together by
        # (row, value), samples before equal bounds, and count the bounds that precede each.
        row_b = np.repeat(np.arange(n_dist, dtype=np.int64), n_cat)
        row_s = np.repeat(np.arange(n_dist, dtype=np.int64), k)
        keys = np.concatenate([cdf.astype(np.float64).reshape(-1), u.reshape(-1)])
        row = np.concatenate([row_b, row_s])
        is_bound = np.concatenate([np.ones(row_b.size, np.int64), np.zeros(row_s.size, np.int64)])
        order = np.lexsort((is_bound, keys, row))
        bounds_before = np.cumsum(is_bound[order]) - is_bound[order]
        counts = np.empty(order.size, dtype=np.int64)
        counts[order] = bounds_before
        counts = counts[row_b.size:] - row_s * n_cat
        return np.minimum(counts, n_cat - 1).reshape(n_dist, k)


def _int64_to(val, dt):
    """static_cast<T>(int64): wraps for narrow ints, rounds via float for the half types."""
    if dt == np.bool_:
        return val != 0
    if dt.kind in 'iu':
        return val.astype(dt)
    if dt == np.float64 or dt == np.float32:
        return val.astype(dt)
    return val.astype(np.float32).astype(dt)


def _follow_links(link, value):
    """Resolve value[i] = value[link[i]] chains by pointer doubling (roots hold a value)."""
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


def _resolve_chains(target, steps, n):
    """Final array after swap(r[i], r[target[i]]) for i = 0..n-1 in order (target >= i)."""
    order = np.lexsort((steps, target))         # steps grouped by target, in step order
    ts = target[order]
    same = np.zeros(n, dtype=bool)
    same[1:] = ts[1:] == ts[:-1]
    # prev_same[i]: the latest earlier step with the same target as step i (or -1).
    prev_same = np.full(n, -1, dtype=np.int64)
    prev_same[order[1:][same[1:]]] = order[:-1][same[1:]]
    # held[i]: what position i holds just before step i. It equals held[k] for k the latest
    # earlier step aimed at i, or i itself if none was. Steps aimed at i all come no later
    # than step i, so k is the last of target-group i, skipping step i itself.
    last_of = np.full(n, -1, dtype=np.int64)
    group_end = np.ones(n, dtype=bool)
    group_end[:-1] = ts[1:] != ts[:-1]
    last_of[ts[group_end]] = order[group_end]
    k = np.where(target == steps, prev_same, last_of)
    held = np.where(k < 0, steps, -1)
    link = np.where(k < 0, steps, k)
    held = _follow_links(link, held)
    return np.where(prev_same >= 0, held[np.maximum(prev_same, 0)], target)


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
