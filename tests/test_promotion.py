"""PyTorch's type promotion: every dtype pair x {tensor, 0-d tensor, Python number}.

The result dtype and values of add/mul/div/eq (and a few more ops) must match PyTorch's for
every combination of operand kinds: dimensioned tensors, 0-d tensors and Python scalars
take part in promotion with different priorities.
"""
import itertools

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from oracle import check, requires_torch

import ember

pytestmark = [requires_torch, pytest.mark.filterwarnings('ignore')]

DTYPES = ['bool', 'uint8', 'int8', 'int16', 'int32', 'int64', 'float16', 'bfloat16',
          'float32', 'float64', 'complex64', 'complex128']
SCALARS = [True, 3, -2, 2.5, 1 + 2j]

# Small, positive-ish values that every dtype can hold (uint8 included).
_VALUES = {'bool': [True, False, True], 'complex': [1 + 1j, 2 - 1j, 3 + 0.5j]}


def _make(torch, dtype, kind):
    d = getattr(torch, dtype)
    values = _VALUES.get(dtype, _VALUES['complex'] if 'complex' in dtype else [1, 2, 3])
    if kind == 'tensor':
        return torch.tensor(values, dtype=d)
    return torch.tensor(values[1], dtype=d)


OPS = {
    'add': lambda a, b: a + b,
    'mul': lambda a, b: a * b,
    'div': lambda a, b: a / b,
    'eq': lambda a, b: a == b,
}

KINDS = ['tensor', 'zero_dim']


def _complex32(da, db):
    """float16 with complex gives PyTorch's complex32, a dtype ember does not have."""
    return {da, db} & {'float16'} and ({da, db} & {'complex64', 'complex128', 'complex'})


@pytest.mark.parametrize('da,db', list(itertools.product(DTYPES, DTYPES)))
def test_tensor_tensor(da, db):
    """Every op x operand kinds (tensor / 0-d tensor) for one dtype pair."""
    for ka, kb in itertools.product(KINDS, KINDS):
        if _complex32(da, db) and (ka if da == 'float16' else kb) == 'tensor':
            continue
        for op, fn in OPS.items():
            check(lambda torch: fn(_make(torch, da, ka), _make(torch, db, kb)), rtol=1e-2,
                  atol=1e-2, check_repr=False)


@pytest.mark.parametrize('da', DTYPES)
@pytest.mark.parametrize('scalar', SCALARS, ids=repr)
def test_tensor_scalar(da, scalar):
    """Every op x operand kinds x operand order for one dtype and one Python number."""
    if da == 'float16' and isinstance(scalar, complex):
        pytest.skip('complex32 is not an ember dtype')
    for ka in KINDS:
        for op, fn in OPS.items():
            check(lambda torch: fn(scalar, _make(torch, da, ka)), rtol=1e-2, atol=1e-2,
                  check_repr=False)
            check(lambda torch: fn(_make(torch, da, ka), scalar), rtol=1e-2, atol=1e-2,
                  check_repr=False)


@pytest.mark.parametrize('fn_name', ['sub', 'floor_divide', 'remainder', 'maximum', 'pow',
                                     'atan2', 'lt', 'logical_and', 'bitwise_and', 'fmod'])
@pytest.mark.parametrize('da,ka,db,kb', [
    ('int8', 'tensor', 'uint8', 'tensor'), ('int32', 'tensor', 'int64', 'zero_dim'),
    ('bool', 'tensor', 'float16', 'zero_dim'), ('float16', 'tensor', 'float64', 'zero_dim'),
    ('int64', 'zero_dim', 'float32', 'zero_dim'), ('uint8', 'tensor', 'bool', 'tensor'),
    ('int16', 'tensor', 'float32', 'tensor'), ('bool', 'tensor', 'bool', 'tensor'),
    ('float32', 'tensor', 'float64', 'tensor'), ('bfloat16', 'tensor', 'float16', 'tensor'),
])
def test_other_ops(fn_name, da, ka, db, kb):
    check(lambda torch: getattr(torch, fn_name)(_make(torch, da, ka), _make(torch, db, kb)),
          rtol=1e-2, atol=1e-2, check_repr=False)


@pytest.mark.parametrize('default', ['float64', 'float16'])
@pytest.mark.parametrize('expr', [
    lambda torch: torch.tensor([1, 2]) / 2,
    lambda torch: torch.tensor([1, 2]) + 2.5,
    lambda torch: torch.tensor([1, 2]) * (1 + 1j),
    lambda torch: torch.tensor(True) + 1.5,
    lambda torch: torch.tensor([1, 2], dtype=torch.float32) + 2.5,
    lambda torch: torch.tensor([1, 2]).sqrt(),
    lambda torch: torch.tensor([1, 2]).mean(dtype=torch.float32),
])
def test_default_dtype(default, expr):
    if default == 'float16' and expr(ember).dtype.is_complex:
        pytest.skip('complex32 is not an ember dtype')

    def run(torch):
        old = torch.get_default_dtype()
        torch.set_default_dtype(getattr(torch, default))
        try:
            return expr(torch)
        finally:
            torch.set_default_dtype(old)
    check(run, rtol=1e-2, atol=1e-2)


def test_result_type_matches_ops():
    """``result_type`` agrees with what the op produces, for every dtype pair."""
    for da, db in itertools.product(DTYPES, DTYPES):
        a = _make(ember, da, 'tensor')
        b = _make(ember, db, 'zero_dim')
        assert ember.result_type(a, b) == (a + b).dtype if da != 'bool' or db != 'bool' \
            else True


def test_large_python_int_wraps_like_torch():
    check(lambda torch: torch.tensor([1, 2], dtype=torch.int32) + 2**40)
    check(lambda torch: torch.tensor([1, 2], dtype=torch.uint8) + 300)
    check(lambda torch: torch.tensor([1, 2], dtype=torch.int8) * 1000)


# ---------------------------------------------------------------------------------------
# property: random dtype pairs, operand kinds and broadcastable shapes
# ---------------------------------------------------------------------------------------
_shapes = st.lists(st.integers(0, 3), min_size=0, max_size=3).map(tuple)


@st.composite
def _broadcast_pair(draw):
    shape = draw(_shapes)
    other = []
    for s in shape[::-1][:draw(st.integers(0, len(shape)))]:
        other.append(draw(st.sampled_from([s, 1])))
    return shape, tuple(other[::-1])


@settings(max_examples=150, deadline=None)
@given(_broadcast_pair(), st.sampled_from(DTYPES[:6] + ['float32', 'float64']),
       st.sampled_from(DTYPES[:6] + ['float32', 'float64']),
       st.sampled_from(sorted(OPS)), st.booleans(), st.integers(0, 2**31))
def test_property_broadcast_promotion(shapes, da, db, op, swap, seed):
    sa, sb = shapes
    if swap:
        sa, sb = sb, sa
    rng = np.random.default_rng(seed)
    xa = rng.integers(1, 5, size=sa)
    xb = rng.integers(1, 5, size=sb)

    def run(torch):
        a = torch.tensor(xa.tolist(), dtype=getattr(torch, da))
        b = torch.tensor(xb.tolist(), dtype=getattr(torch, db))
        return OPS[op](a, b)
    check(run, rtol=1e-5, atol=1e-5, check_repr=False)
