"""ember's CPU random streams against PyTorch's, bit for bit.

The oracle tests need PyTorch (they skip without it): each one seeds an ember generator and
a torch.Generator alike, draws with both, and compares the raw bytes of the values and of the
generator states afterwards. The self-contained tests pin reference values (the mt19937
reference output, PyTorch's well-known first values for seed 0) and the state format.
"""
import math
from fractions import Fraction

import numpy as np
import pytest

from ember._random import Generator, _fma32, _fma64, _resolve_inside_out, _resolve_swaps
import ember._random as ember_random

try:
    import ml_dtypes
    BFLOAT16 = np.dtype(ml_dtypes.bfloat16)
except ImportError:     # bfloat16 support is optional
    BFLOAT16 = None

SEEDS = [0, 1, 42, 2 ** 40]
SIZES = [1, 2, 7, 15, 16, 17, 31, 32, 100, 1000]
FLOATS = ['float32', 'float64', 'float16', 'bfloat16']


@pytest.fixture
def torch():
    return pytest.importorskip('torch')


def np_dtype(name):
    if name == 'bfloat16':
        if BFLOAT16 is None:
            pytest.skip('bfloat16 needs ml_dtypes')
        return BFLOAT16
    return np.dtype(name)


def as_numpy(t):
    import torch
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().view(BFLOAT16)
    return t.numpy()


def pair(torch, seed):
    return Generator().manual_seed(seed), torch.Generator().manual_seed(seed)


def assert_same(ours, theirs, g=None, tg=None):
    """Equal dtype, shape and bytes; and, given the generators, equal states."""
    theirs = as_numpy(theirs)
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    assert ours.flags.c_contiguous
    assert ours.tobytes() == theirs.tobytes(), (ours, theirs)
    if g is not None:
        assert np.array_equal(g.get_state_bytes(), tg.get_state().numpy())


# ----------------------------------------------------------------------------------------
# self-contained
# ----------------------------------------------------------------------------------------

def test_engine_matches_mt19937_reference():
    # the C++ standard fixes the 10000th output of mt19937 seeded with 5489
    g = Generator().manual_seed(5489)
    assert int(g._raw32(10000)[-1]) == 4123659995
    g.manual_seed(0)
    assert g._raw32(4).tolist() == [2357136044, 2546248239, 3071714933, 3626093760]


def test_pytorch_reference_values_for_seed_zero():
    def floats(hexes):
        return np.array([float.fromhex(h) for h in hexes]).astype(np.float32)

    g = Generator().manual_seed(0)
    rand = g.uniform((3,), 0.0, 1.0, np.float32)
    assert np.array_equal(rand, floats(['0x1.fc2abp-2', '0x1.89545ep-1', '0x1.6a675p-4']))
    # below 16 elements: the scalar path, in double ([1.5410, -0.2934, -2.1788, ...])
    g.manual_seed(0)
    small = g.normal((2, 3), 0.0, 1.0, np.float32)
    assert np.array_equal(small.ravel(), floats([
        '0x1.8a7eb8p+0', '-0x1.2c78ap-2', '-0x1.16e292p+1',
        '0x1.23096cp-1', '-0x1.15a342p+0', '-0x1.660a5ap+0']))
    # 16 elements: the vectorised path ([-1.1258, -1.1524, -0.2506, -0.4339, ...])
    g.manual_seed(0)
    block = g.normal((4, 4), 0.0, 1.0, np.float32)
    assert np.array_equal(block[0], floats(
        ['-0x1.20370ap+0', '-0x1.270114p+0', '-0x1.0097acp-2', '-0x1.bc4abap-2']))
    g.manual_seed(0)
    assert g.randperm(10, np.int64).tolist() == [4, 1, 7, 5, 3, 9, 0, 8, 6, 2]
    g.manual_seed(0)
    assert g.random_int((5,), 0, 10, np.int64).tolist() == [4, 9, 3, 0, 3]


def test_manual_seed_reproduces_and_state_restores():
    g = Generator().manual_seed(1234)
    first = [g.uniform((5,), 0, 1, np.float32), g.normal((3,), 0, 1, np.float64),
             g.random_int((4,), 0, 100, np.int64)]
    g.manual_seed(1234)
    state = g.get_state_bytes()
    again = [g.uniform((5,), 0, 1, np.float32), g.normal((3,), 0, 1, np.float64),
             g.random_int((4,), 0, 100, np.int64)]
    for a, b in zip(first, again):
        assert np.array_equal(a, b)
    after = g.normal((1,), 0, 1, np.float64)     # the cached spare of normal((3,))
    g.set_state_bytes(state)
    g.uniform((5,), 0, 1, np.float32)
    g.normal((3,), 0, 1, np.float64)
    g.random_int((4,), 0, 100, np.int64)
    assert np.array_equal(after, g.normal((1,), 0, 1, np.float64))


def test_seeds_and_state_format():
    g = Generator()
    assert g.initial_seed() == 67280421310721
    assert g.get_state_bytes().shape == (5056,) and g.get_state_bytes().dtype == np.uint8
    assert g.manual_seed(-1).initial_seed() == 2 ** 64 - 1
    assert g.manual_seed(-2 ** 63).initial_seed() == 2 ** 63
    with pytest.raises(ValueError, match='Overflow'):
        g.manual_seed(2 ** 64)
    with pytest.raises(RuntimeError, match='expected a long'):
        g.manual_seed(1.5)
    with pytest.raises(RuntimeError, match='Expected a CPUGeneratorImplState of size 5056 but '
                                           'found the input RNG state size to be 10'):
        g.set_state_bytes(np.zeros(10, np.uint8))
    with pytest.raises(RuntimeError, match='Invalid mt19937 state'):
        g.set_state_bytes(np.zeros(5056, np.uint8))
    value = g.seed()
    assert 0 <= value < 2 ** 64 and g.initial_seed() == value
    assert ember_random.manual_seed(7) is ember_random.default_generator
    assert ember_random.initial_seed() == 7


def test_fused_multiply_add_rounds_once():
    rng = np.random.default_rng(0)
    a, b, c = rng.standard_normal((3, 300))
    c[:100] = -(a[:100] * b[:100])        # near-total cancellation
    exact = [float(Fraction(x) * Fraction(y) + Fraction(z)) for x, y, z in zip(a, b, c)]
    assert np.array_equal(_fma64(a, b, c), exact)
    a32, b32, c32 = (v.astype(np.float32) for v in (a, b, c))
    exact32 = [np.float32(Fraction(float(x)) * Fraction(float(y)) + Fraction(float(z)))
               for x, y, z in zip(a32, b32, c32)]
    assert np.array_equal(_fma32(a32, b32, c32), np.array(exact32, np.float32))


def test_randperm_shuffles_resolve_like_a_replay():
    rng = np.random.default_rng(1)
    for n in [1, 2, 5, 33, 200]:
        target = np.array([i + rng.integers(0, n - i) for i in range(n)], dtype=np.int64)
        r = np.arange(n)
        for i, t in enumerate(target):
            r[i], r[t] = r[t], r[i]
        assert np.array_equal(_resolve_swaps(target), r)
        z = np.array([rng.integers(0, i + 1) for i in range(n)], dtype=np.int64)
        a = np.zeros(n, np.int64)
        for i, zi in enumerate(z):
            a[i] = a[zi]
            a[zi] = i
        assert np.array_equal(_resolve_inside_out(z), a)


# ----------------------------------------------------------------------------------------
# oracle: PyTorch
# ----------------------------------------------------------------------------------------

@pytest.mark.parametrize('name', FLOATS)
def test_uniform(torch, name):
    dt = np_dtype(name)
    tdt = getattr(torch, name)
    for seed in SEEDS:
        for n in SIZES:
            g, tg = pair(torch, seed)
            assert_same(g.uniform((n,), 0, 1, dt), torch.rand(n, dtype=tdt, generator=tg), g, tg)
        g, tg = pair(torch, seed)
        assert_same(g.uniform((2, 500), -3.7, 2.9, dt),
                    torch.empty(2, 500, dtype=tdt).uniform_(-3.7, 2.9, generator=tg), g, tg)


@pytest.mark.parametrize('name', FLOATS)
def test_normal_both_paths(torch, name):
    dt = np_dtype(name)
    tdt = getattr(torch, name)
    for seed in SEEDS:
        for n in SIZES:
            g, tg = pair(torch, seed)
            assert_same(g.normal((n,), 0, 1, dt), torch.randn(n, dtype=tdt, generator=tg), g, tg)
            assert_same(g.normal((n,), 0.3, 2.5, dt),
                        torch.empty(n, dtype=tdt).normal_(0.3, 2.5, generator=tg), g, tg)


def test_normal_non_contiguous_takes_the_scalar_path(torch):
    g, tg = pair(torch, 3)
    t = torch.empty(40)[::2]
    t.normal_(generator=tg)
    assert_same(g.normal((20,), 0, 1, np.float32, contiguous=False), t.contiguous(), g, tg)


def test_interleaved_calls_share_state_and_normal_cache(torch):
    for seed in SEEDS:
        g, tg = pair(torch, seed)
        steps = [
            (lambda: g.uniform((5,), 0, 1, np.float32), lambda: torch.rand(5, generator=tg)),
            (lambda: g.normal((3,), 0, 1, np.float32), lambda: torch.randn(3, generator=tg)),
            (lambda: g.random_int((4,), 0, 10, np.int64),
             lambda: torch.randint(0, 10, (4,), generator=tg)),
            (lambda: g.normal((20,), 0, 1, np.float32), lambda: torch.randn(20, generator=tg)),
            (lambda: g.normal((1,), 0, 1, np.float64),
             lambda: torch.randn(1, dtype=torch.float64, generator=tg)),
            (lambda: g.normal((5,), 1, 2, np.float16),
             lambda: torch.empty(5, dtype=torch.float16).normal_(1, 2, generator=tg)),
        ]
        for ours, theirs in steps * 3:
            assert_same(ours(), theirs(), g, tg)


def test_state_round_trips_with_pytorch(torch):
    g, tg = pair(torch, 11)
    g.normal((3,), 0, 1, np.float64)          # leaves a cached normal in the state
    torch.randn(3, dtype=torch.float64, generator=tg)
    assert np.array_equal(g.get_state_bytes(), tg.get_state().numpy())
    to_torch = torch.Generator()
    to_torch.set_state(torch.from_numpy(g.get_state_bytes()))
    from_torch = Generator()
    from_torch.set_state_bytes(tg.get_state().numpy())
    assert to_torch.initial_seed() == from_torch.initial_seed() == 11
    for _ in range(3):
        assert_same(from_torch.normal((5,), 0, 1, np.float64),
                    torch.randn(5, dtype=torch.float64, generator=to_torch))
    # a generator that has used up its block (left == 1, next == 624)
    g, tg = pair(torch, 5)
    assert_same(g.uniform((624,), 0, 1, np.float32), torch.rand(624, generator=tg), g, tg)
    fresh = Generator()
    fresh.set_state_bytes(tg.get_state().numpy())
    assert np.array_equal(fresh.get_state_bytes(), tg.get_state().numpy())
    # the module-level default generator seeds like torch.manual_seed
    ours = ember_random.manual_seed(2 ** 40)
    assert np.array_equal(ours.get_state_bytes(),
                          torch.Generator().manual_seed(2 ** 40).get_state().numpy())


INT_RANGES = {
    'int64': [(0, 10), (-5, 7), (0, 2 ** 28), (-2 ** 40, 2 ** 40), (-2 ** 31, 2 ** 31)],
    'int32': [(0, 10), (-5, 7), (0, 2 ** 20), (-2 ** 30, 2 ** 30)],
    'int16': [(0, 10), (-300, 300)],
    'int8': [(0, 10), (-100, 100)],
    'uint8': [(0, 2), (3, 200)],
    'bool': [(0, 2)],
    'float32': [(0, 10), (-5, 7), (0, 2 ** 25), (-2 ** 31, 2 ** 31)],
    'float64': [(0, 10), (-2 ** 40, 2 ** 40)],
    'float16': [(0, 10), (-2048, 2048)],
    'bfloat16': [(0, 10), (-256, 256)],
}


@pytest.mark.parametrize('name', sorted(INT_RANGES))
def test_random_int_and_random_(torch, name):
    import warnings
    dt = np_dtype(name)
    tdt = getattr(torch, name)
    for low, high in INT_RANGES[name]:
        for seed in SEEDS[:2]:
            g, tg = pair(torch, seed)
            with warnings.catch_warnings():     # PyTorch warns about inexact float bounds
                warnings.simplefilter('ignore')
                expected = torch.empty(3, 17, dtype=tdt).random_(low, high, generator=tg)
            assert_same(g.random_int((3, 17), low, high, dt), expected, g, tg)
    g, tg = pair(torch, 9)
    assert_same(g.random_full((100,), dt),
                torch.empty(100, dtype=tdt).random_(generator=tg), g, tg)
    if name == 'int64':
        g, tg = pair(torch, 9)
        assert_same(g.random_int((50,), -2 ** 63, 2 ** 63, dt),
                    torch.empty(50, dtype=tdt).random_(-2 ** 63, None, generator=tg), g, tg)


@pytest.mark.parametrize('n', [0, 1, 2, 10, 100, 5000])
def test_randperm(torch, n):
    for seed in SEEDS:
        for name in ['int64', 'int32', 'float32']:
            g, tg = pair(torch, seed)
            assert_same(g.randperm(n, np.dtype(name)),
                        torch.randperm(n, dtype=getattr(torch, name), generator=tg), g, tg)


def test_bernoulli(torch):
    for seed in SEEDS:
        for n in [1, 7, 16, 300]:
            for name in ['float32', 'float64', 'bool', 'int64', 'float16']:
                g, tg = pair(torch, seed)
                assert_same(g.bernoulli(0.3, (n,), np.dtype(name)),
                            torch.empty(n, dtype=getattr(torch, name)).bernoulli_(
                                0.3, generator=tg), g, tg)
            for name in ['float32', 'float64', 'float16']:
                p = torch.rand(n, generator=torch.Generator().manual_seed(seed + 1))
                p = p.to(getattr(torch, name))
                g, tg = pair(torch, seed)
                assert_same(g.bernoulli(p.numpy(), (n,), np.dtype(name)),
                            torch.bernoulli(p, generator=tg), g, tg)
    p = torch.rand(1, 4, generator=torch.Generator().manual_seed(5))
    for probs in [p, p.double()]:
        g, tg = pair(torch, 2)
        assert_same(g.bernoulli(probs.numpy(), (3, 4), np.float32),
                    torch.empty(3, 4).bernoulli_(probs, generator=tg), g, tg)


@pytest.mark.parametrize('name', ['float32', 'float64'])
@pytest.mark.parametrize('shape', [(5,), (3, 7), (2, 400)])
def test_multinomial(torch, name, shape):
    probs = torch.rand(*shape, generator=torch.Generator().manual_seed(9)) + 0.01
    probs = probs.to(getattr(torch, name))
    for seed in SEEDS:
        for k, replacement in [(1, True), (1, False), (3, False), (4, True), (50, True),
                               (shape[-1], False)]:
            g, tg = pair(torch, seed)
            assert_same(g.multinomial(probs.numpy(), k, replacement),
                        torch.multinomial(probs, k, replacement, generator=tg), g, tg)


@pytest.mark.parametrize('name', FLOATS)
def test_exponential(torch, name):
    dt = np_dtype(name)
    tdt = getattr(torch, name)
    for seed in SEEDS:
        for n in [1, 17, 1000]:
            g, tg = pair(torch, seed)
            assert_same(g.exponential((n,), 1.0, dt),
                        torch.empty(n, dtype=tdt).exponential_(generator=tg), g, tg)
            assert_same(g.exponential((n,), 0.37, dt),
                        torch.empty(n, dtype=tdt).exponential_(0.37, generator=tg), g, tg)


def test_large_draws(torch):
    g, tg = pair(torch, 123)
    for name in ['float32', 'float64']:
        tdt = getattr(torch, name)
        assert_same(g.normal((50003,), -1.25, 0.37, np.dtype(name)),
                    torch.empty(50003, dtype=tdt).normal_(-1.25, 0.37, generator=tg), g, tg)
        assert_same(g.uniform((50003,), -0.1, 0.1, np.dtype(name)),
                    torch.empty(50003, dtype=tdt).uniform_(-0.1, 0.1, generator=tg), g, tg)
    assert math.isfinite(float(g.normal((1,), 0, 1, np.float64)[0]))
