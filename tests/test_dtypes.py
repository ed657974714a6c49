"""dtypes against PyTorch: the 12 dtypes and their aliases and attributes, finfo/iinfo, the
default dtype, promote_types / result_type / can_cast tables, and conversions between
dtypes (``to``, ``type``, ``float()``...)."""
import itertools
import pickle

import numpy as np
import pytest

import ember
from oracle import check, requires_torch

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

NAMES = ['bool', 'uint8', 'int8', 'int16', 'int32', 'int64', 'float16', 'bfloat16',
         'float32', 'float64', 'complex64', 'complex128']
ALIASES = ['float', 'double', 'half', 'long', 'int', 'short', 'cfloat', 'cdouble']


def with_default(torch, dtype_name, fn):
    """Run ``fn(torch)`` with the default dtype set to ``dtype_name``, restoring it after."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(getattr(torch, dtype_name))
    try:
        return fn(torch)
    finally:
        torch.set_default_dtype(old)


def _attempt(fn):
    try:
        return fn()
    except Exception as error:  # noqa: BLE001
        return type(error).__name__


# ---------------------------------------------------------------------------------------
# dtype objects
# ---------------------------------------------------------------------------------------
@requires_torch
@pytest.mark.parametrize('name', NAMES + ALIASES)
def test_dtype_attributes(name):
    def attrs(torch):
        d = getattr(torch, name)
        return (d, repr(d), str(d), d.is_floating_point, d.is_complex, d.is_signed, d.itemsize,
                d.abbr, _attempt(lambda: d.to_real()), _attempt(lambda: d.to_complex()),
                pickle.loads(pickle.dumps(d)) == d, d == getattr(torch, name))
    if name in ('float16', 'half'):
        # PyTorch's to_complex gives complex32, which ember does not have.
        check(lambda torch: attrs(torch)[:9])
    else:
        check(attrs)


@requires_torch
def test_aliases_are_the_same_objects():
    for alias, name in [('float', 'float32'), ('double', 'float64'), ('half', 'float16'),
                        ('long', 'int64'), ('int', 'int32'), ('short', 'int16'),
                        ('cfloat', 'complex64'), ('cdouble', 'complex128')]:
        assert getattr(ember, alias) is getattr(ember, name)
        assert getattr(torch, alias) is getattr(torch, name)


def test_dtype_is_hashable_and_distinct():
    seen = {getattr(ember, n) for n in NAMES}
    assert len(seen) == 12
    assert ember.float32 == ember.float and ember.float32 != ember.float64
    assert isinstance(ember.float32, ember.dtype)


# ---------------------------------------------------------------------------------------
# finfo / iinfo
# ---------------------------------------------------------------------------------------
INFO_CASES = [(f'finfo_{n}', (lambda n: lambda torch: torch.finfo(getattr(torch, n)))(n))
              for n in ['float16', 'bfloat16', 'float32', 'float64', 'complex64',
                        'complex128']] + \
    [(f'iinfo_{n}', (lambda n: lambda torch: torch.iinfo(getattr(torch, n)))(n))
     for n in ['uint8', 'int8', 'int16', 'int32', 'int64']] + [
    ('finfo_default', lambda torch: torch.finfo()),
    ('finfo_default_f64', lambda torch: with_default(torch, 'float64', lambda t: t.finfo())),
    ('finfo_int', lambda torch: torch.finfo(torch.int32)),
    ('finfo_bool', lambda torch: torch.finfo(torch.bool)),
    ('iinfo_float', lambda torch: torch.iinfo(torch.float32)),
    ('iinfo_bool', lambda torch: torch.iinfo(torch.bool)),
]


def _info_fields(info):
    names = ['bits', 'max', 'min', 'eps', 'tiny', 'smallest_normal', 'resolution', 'dtype']
    return {n: getattr(info, n) for n in names if hasattr(info, n)}


@requires_torch
@pytest.mark.parametrize('name,fn', INFO_CASES, ids=[c[0] for c in INFO_CASES])
def test_finfo_iinfo_oracle(name, fn):
    check(lambda torch: repr(fn(torch)))
    check(lambda torch: _info_fields(fn(torch)), rtol=0, atol=0)


def test_finfo_values_by_hand():
    f = ember.finfo(ember.float16)
    assert (f.bits, f.eps, f.max, f.tiny, f.resolution) == (16, 2 ** -10, 65504.0, 2 ** -14,
                                                            0.001)
    b = ember.finfo(ember.bfloat16)
    assert (b.bits, b.eps, b.tiny, b.resolution) == (16, 2 ** -7, 2 ** -126, 0.01)
    assert b.max == (2 - 2 ** -7) * 2 ** 127 and b.min == -b.max
    assert ember.finfo(ember.float32).eps == float(np.finfo(np.float32).eps)
    assert ember.finfo(ember.float64).max == float(np.finfo(np.float64).max)
    i = ember.iinfo(ember.int16)
    assert (i.bits, i.min, i.max, i.dtype) == (16, -32768, 32767, 'int16')
    assert repr(ember.iinfo(ember.uint8)) == 'iinfo(min=0, max=255, dtype=uint8)'


# ---------------------------------------------------------------------------------------
# default dtype
# ---------------------------------------------------------------------------------------
DEFAULT_CASES = [
    ('get', lambda torch: torch.get_default_dtype()),
    ('tensor_float', lambda torch: torch.tensor(1.5)),
    ('tensor_list', lambda torch: torch.tensor([1, 2.5])),
    ('tensor_int', lambda torch: torch.tensor([1, 2])),
    ('zeros', lambda torch: torch.zeros(2)),
    ('ones_like_int', lambda torch: torch.ones_like(torch.tensor([1]))),
    ('arange_float', lambda torch: torch.arange(0., 1., 0.25)),
    ('arange_int', lambda torch: torch.arange(3)),
    ('linspace', lambda torch: torch.linspace(0, 1, 3)),
    ('full_float', lambda torch: torch.full((2,), 1.5)),
    ('full_int', lambda torch: torch.full((2,), 1)),
    ('Tensor_legacy', lambda torch: torch.Tensor([1, 2])),
    ('mul_float_scalar', lambda torch: torch.tensor([1, 2]) * 1.5),
    ('div_ints', lambda torch: torch.tensor([1, 2]) / 2),
    ('result_type_scalar', lambda torch: torch.result_type(torch.tensor([1]), 1.0)),
    ('finfo', lambda torch: repr(torch.finfo())),
    ('from_numpy_keeps', lambda torch: torch.from_numpy(np.zeros(2, dtype=np.float32))),
    ('tensor_numpy_float', lambda torch: torch.tensor(np.float32(2.5))),
]


@requires_torch
@pytest.mark.parametrize('default', ['float32', 'float64', 'float16', 'bfloat16'])
@pytest.mark.parametrize('name,fn', DEFAULT_CASES, ids=[c[0] for c in DEFAULT_CASES])
def test_default_dtype_oracle(name, fn, default):
    check(lambda torch: with_default(torch, default, fn), rtol=1e-2)


# Complex values under a float32/float64 default (PyTorch's complex32, the complex type of a
# float16 default, does not exist in ember).
COMPLEX_DEFAULT_CASES = [
    ('tensor_complex', lambda torch: torch.tensor([1 + 1j])),
    ('result_type_complex', lambda torch: torch.result_type(torch.tensor([1]), 1j)),
    ('full_complex', lambda torch: torch.full((2,), 1j)),
]


@requires_torch
@pytest.mark.parametrize('default', ['float32', 'float64'])
@pytest.mark.parametrize('name,fn', COMPLEX_DEFAULT_CASES,
                         ids=[c[0] for c in COMPLEX_DEFAULT_CASES])
def test_default_dtype_complex_oracle(name, fn, default):
    check(lambda torch: with_default(torch, default, fn))


@requires_torch
@pytest.mark.parametrize('value', ['int32', 'int64', 'complex64', 'bool'])
def test_set_default_dtype_rejects(value):
    check(lambda torch: with_default(torch, value, lambda t: t.get_default_dtype()))


def test_default_dtype_by_hand():
    assert ember.get_default_dtype() is ember.float32
    ember.set_default_dtype(ember.float64)
    try:
        assert ember.tensor(1.5).dtype is ember.float64
        assert ember.zeros(2).dtype is ember.float64
        assert ember.tensor(1j).dtype is ember.complex128
        assert ember.tensor(1).dtype is ember.int64
    finally:
        ember.set_default_dtype(ember.float32)
    with pytest.raises(TypeError):
        ember.set_default_dtype(ember.int64)


# ---------------------------------------------------------------------------------------
# promotion tables
# ---------------------------------------------------------------------------------------
@requires_torch
def test_promote_types_table():
    mismatches = []
    for a, b in itertools.product(NAMES, NAMES):
        ours = repr(ember.promote_types(getattr(ember, a), getattr(ember, b)))
        theirs = repr(torch.promote_types(getattr(torch, a), getattr(torch, b)))
        if ours != theirs.replace('torch.', 'ember.'):
            mismatches.append((a, b, ours, theirs))
    assert not mismatches


@requires_torch
def test_can_cast_table():
    mismatches = []
    for a, b in itertools.product(NAMES, NAMES):
        ours = ember.can_cast(getattr(ember, a), getattr(ember, b))
        theirs = torch.can_cast(getattr(torch, a), getattr(torch, b))
        if ours != theirs:
            mismatches.append((a, b, ours, theirs))
    assert not mismatches


def _operands(torch):
    """One operand of each tier and category: n-d tensors, 0-d tensors, Python scalars."""
    ops = {}
    for n in NAMES:
        ops[f'nd_{n}'] = torch.ones(2, dtype=getattr(torch, n))
        ops[f'0d_{n}'] = torch.ones((), dtype=getattr(torch, n))
    ops.update(py_bool=True, py_int=2, py_float=2.5, py_complex=1j, py_big_int=2 ** 40)
    return ops


@requires_torch
@pytest.mark.parametrize('default', ['float32', 'float64'])
def test_result_type_tiers(default):
    names = list(_operands(torch))

    def table(lib):
        ops = _operands(lib)
        out = []
        for a, b in itertools.product(names, names):
            if a.startswith('py') and b.startswith('py'):
                continue
            out.append((a, b, repr(lib.result_type(ops[a], ops[b]))))
        return out
    theirs = with_default(torch, default, table)
    ember.set_default_dtype(getattr(ember, default))
    ours = table(ember)
    # complex32 (float16 meeting a complex of a lower tier) is ember's complex64
    mismatches = [(o, t) for o, t in zip(ours, theirs)
                  if o[2] != t[2].replace('torch.', 'ember.').replace('complex32', 'complex64')]
    assert not mismatches


def test_promotion_by_hand():
    assert ember.promote_types(ember.uint8, ember.int8) is ember.int16
    assert ember.promote_types(ember.float16, ember.bfloat16) is ember.float32
    assert ember.promote_types(ember.complex64, ember.float64) is ember.complex128
    assert ember.promote_types(ember.bool, ember.uint8) is ember.uint8
    # scalars and 0-d tensors do not upcast within their category
    assert ember.result_type(ember.ones(2, dtype=ember.int8), 1000) is ember.int8
    assert ember.result_type(ember.ones(2, dtype=ember.int8), ember.tensor(1000)) is ember.int8
    assert ember.result_type(ember.ones(2, dtype=ember.int8), 1.5) is ember.float32
    assert ember.result_type(ember.ones(2, dtype=ember.float16), ember.tensor(1.,
                             dtype=ember.float64)) is ember.float16
    assert ember.result_type(ember.tensor(1, dtype=ember.int8), 2.) is ember.float32
    assert ember.result_type(ember.ones(2, dtype=ember.float16), 1j) is ember.complex64
    assert not ember.can_cast(ember.float32, ember.int32)
    assert ember.can_cast(ember.int64, ember.float16)


# ---------------------------------------------------------------------------------------
# conversions
# ---------------------------------------------------------------------------------------
def src(torch, dtype=None):
    return torch.tensor([[1.5, -2.7, 0.], [3.25, 300., -1.]], dtype=dtype or torch.float32)


CONVERT_CASES = [
    ('to_dtype', lambda torch: src(torch).to(torch.int32)),
    ('to_same_is_self', lambda torch: (lambda x: x.to(torch.float32) is x)(src(torch))),
    ('to_same_copy', lambda torch: (lambda x: (x, x.to(torch.float32, copy=True)))(src(torch))),
    ('to_copy_kw_dtype', lambda torch: (lambda x: (x, x.to(dtype=torch.float64, copy=True)))(
        src(torch))),
    ('to_copy_positional', lambda torch: (lambda x: (x, x.to(torch.float32, False, True)))(
        src(torch))),
    ('to_device', lambda torch: (lambda x: x.to('cpu') is x)(src(torch))),
    ('to_device_obj', lambda torch: (lambda x: x.to(torch.device('cpu')) is x)(src(torch))),
    ('to_device_dtype', lambda torch: src(torch).to('cpu', torch.float64)),
    ('to_kw', lambda torch: src(torch).to(device='cpu', dtype=torch.int8)),
    ('to_other', lambda torch: src(torch).to(torch.tensor([1], dtype=torch.int16))),
    ('to_other_same', lambda torch: (lambda x: x.to(torch.zeros(1)) is x)(src(torch))),
    ('to_nc_keeps_strides', lambda torch: src(torch).t().to(torch.float64)),
    ('to_sliced', lambda torch: src(torch)[:, 1:].to(torch.int64)),
    ('to_bad_kw', lambda torch: src(torch).to(dtype=5)),
    ('to_bad_arg', lambda torch: src(torch).to('float32')),
    ('to_grad', lambda torch: src(torch).requires_grad_().to(torch.float64)),
    ('to_grad_same', lambda torch: src(torch).requires_grad_().to(torch.float32)),
    ('to_grad_copy', lambda torch: src(torch).requires_grad_().to(torch.float32, copy=True)),
    ('to_grad_int', lambda torch: src(torch).requires_grad_().to(torch.int32)),
    ('to_0d', lambda torch: torch.tensor(2.5).to(torch.int64)),
    ('to_empty', lambda torch: torch.zeros(0, 2).to(torch.bool)),
    ('to_complex_to_real', lambda torch: torch.tensor([1 + 2j]).to(torch.float32)),
    ('to_real_to_complex', lambda torch: src(torch).to(torch.complex64)),
    ('to_bf16', lambda torch: src(torch).to(torch.bfloat16)),
    ('to_bf16_back', lambda torch: src(torch).to(torch.bfloat16).to(torch.float32)),
    ('to_f16_overflow', lambda torch: torch.tensor([1e5]).to(torch.float16)),
    ('to_bool', lambda torch: src(torch).to(torch.bool)),
    ('bool_to_float', lambda torch: torch.tensor([True, False]).float()),
    ('int_to_float', lambda torch: torch.tensor([1, 2 ** 40]).float()),
    ('float_to_uint8_wrap', lambda torch: torch.tensor([300., 255., 0.]).byte()),
    ('int_to_uint8_wrap', lambda torch: torch.tensor([-1, 256, 257]).byte()),
    ('int_to_int8_wrap', lambda torch: torch.tensor([200, -200]).char()),
    ('float_to_int_trunc', lambda torch: torch.tensor([-1.5, 1.5, -0.5]).int()),
    ('float', lambda torch: src(torch, torch.float64).float()),
    ('double', lambda torch: src(torch).double()),
    ('half', lambda torch: src(torch).half()),
    ('bfloat16', lambda torch: src(torch).bfloat16()),
    ('int', lambda torch: src(torch).int()),
    ('long', lambda torch: src(torch).long()),
    ('short', lambda torch: src(torch).short()),
    ('bool', lambda torch: src(torch).bool()),
    ('char', lambda torch: src(torch).char()),
    ('cfloat', lambda torch: src(torch).cfloat()),
    ('cdouble', lambda torch: src(torch).cdouble()),
    ('float_is_self', lambda torch: (lambda x: x.float() is x)(src(torch))),
    ('double_grad', lambda torch: src(torch).requires_grad_().double()),
    ('type_name', lambda torch: [torch.ones(1, dtype=getattr(torch, n)).type() for n in NAMES]),
    ('type_dtype', lambda torch: src(torch).type(torch.int32)),
    ('type_dtype_kw', lambda torch: src(torch).type(dtype=torch.int16)),
    ('type_same_is_self', lambda torch: (lambda x: x.type(torch.float32) is x)(src(torch))),
    ('type_string', lambda torch: src(torch).type('torch.DoubleTensor')),
    ('type_string_int', lambda torch: src(torch).type('torch.IntTensor')),
    ('type_string_bad', lambda torch: src(torch).type('torch.float64')),
    ('type_string_noprefix', lambda torch: src(torch).type('DoubleTensor')),
    ('type_legacy_class', lambda torch: src(torch).type(torch.DoubleTensor)),
    ('type_as', lambda torch: src(torch).type_as(torch.tensor([1]))),
    ('cpu_is_self', lambda torch: (lambda x: x.cpu() is x)(src(torch))),
    # float64 -> float16/bfloat16 rounds through float32 in PyTorch (two roundings)
    ('double_round_half', lambda torch: torch.tensor([1 + 2 ** -11 + 2 ** -40],
                                                     dtype=torch.float64).half()),
    ('double_round_bf16', lambda torch: torch.tensor([1 + 2 ** -8 + 2 ** -40],
                                                     dtype=torch.float64).bfloat16()),
    ('double_round_tensor', lambda torch: torch.tensor([1 + 2 ** -11 + 2 ** -40],
                                                       dtype=torch.float16)),
    ('int_to_half', lambda torch: torch.tensor([2049, 65519, 2 ** 30]).half()),
    ('float_to_int_inf', lambda torch: torch.tensor([1.5, -2.5, 1e10]).to(torch.int32)[:2]),
    ('grad_through_to', lambda torch: (lambda x: (x.to(torch.float64).sum().backward(),
                                                  x.grad)[1])(src(torch).requires_grad_())),
    ('grad_through_half', lambda torch: (lambda x: ((x.half() * 2).float().sum().backward(),
                                                    x.grad)[1])(src(torch).requires_grad_())),
]


@requires_torch
@pytest.mark.filterwarnings('ignore:Casting complex values')
@pytest.mark.parametrize('name,fn', CONVERT_CASES, ids=[c[0] for c in CONVERT_CASES])
def test_conversion_oracle(name, fn):
    check(fn, rtol=1e-3)


def test_type_accepts_both_prefixes():
    x = ember.tensor([1.5, 2.5])
    assert x.type() == 'ember.FloatTensor'
    for name in ('ember.DoubleTensor', 'torch.DoubleTensor'):
        assert x.type(name).dtype is ember.float64
    assert x.type('torch.LongTensor').tolist() == [1, 2]
    with pytest.raises(ValueError, match='invalid type'):
        x.type('numpy.DoubleTensor')


def test_casts_by_hand():
    x = ember.tensor([1.7, -1.7, 300.])
    assert x.int().tolist() == [1, -1, 300]
    assert x.byte().tolist()[:1] == [1]
    assert ember.tensor([-1]).byte().tolist() == [255]
    assert x.to(ember.bfloat16).dtype is ember.bfloat16
    assert x.bfloat16().float().tolist() == [1.703125, -1.703125, 300.]
    assert x.to(ember.float32) is x and x.to(ember.float32, copy=True) is not x
