"""Tests for ember/_printing.py: tensor repr and print options.

The printer only reads a few attributes of a tensor, so these tests drive it through a small
stand-in object (``Fake``) built from a NumPy array. Oracle tests compare against PyTorch's
own ``repr`` when torch is installed; the expected strings quoted from the seed notes are
written out so that they run without torch.
"""

import numpy as np
import pytest

from ember import _dtype
from ember import _printing
from ember._printing import get_printoptions, printoptions, set_printoptions, tensor_repr

try:
    import ml_dtypes
except ImportError:  # bfloat16 cases are skipped without it
    ml_dtypes = None


# ---------------------------------------------------------------------------------------
# Stand-in tensor
# ---------------------------------------------------------------------------------------
class FakeDevice:
    def __init__(self, type='cpu', index=None):  # noqa: A002
        self.type = type
        self.index = index

    def __str__(self):
        return self.type if self.index is None else f'{self.type}:{self.index}'


def FakeNode(name):
    """A stand-in graph node whose class is named like PyTorch's node (what gets printed)."""
    return type(name, (), {'name': lambda self: name})()


class Fake:
    """Just the attributes tensor_repr reads."""

    def __init__(self, array, dtype=None, device=None, requires_grad=False, grad_fn=None):
        self._data = np.asarray(array)
        self.dtype = dtype or _dtype.from_numpy_dtype(self._data.dtype)
        self.device = device or FakeDevice('cpu')
        self.requires_grad = requires_grad or grad_fn is not None
        self.grad_fn = grad_fn
        self.is_leaf = grad_fn is None


def f32(x):
    return Fake(np.array(x, dtype=np.float32))


def i64(x):
    return Fake(np.array(x, dtype=np.int64))


@pytest.fixture(autouse=True)
def restore_defaults():
    yield
    set_printoptions(profile='default')
    _dtype.set_default_dtype(_dtype.float32)
    try:
        import torch
    except ImportError:
        return
    torch.set_printoptions(profile='default')
    torch.set_default_dtype(torch.float32)


# ---------------------------------------------------------------------------------------
# Outputs quoted in the seed notes (self-contained)
# ---------------------------------------------------------------------------------------
SEED_CASES = [
    (f32([[1., 2.], [3., 4.]]), 'tensor([[1., 2.],\n        [3., 4.]])'),
    (Fake(np.arange(1, 13, dtype=np.int32).reshape(3, 4)),
     'tensor([[ 1,  2,  3,  4],\n        [ 5,  6,  7,  8],\n'
     '        [ 9, 10, 11, 12]], dtype=ember.int32)'),
    (Fake(np.array([[1, 2, 3, 4], [9, 10, 11, 12]], dtype=np.int32)),
     'tensor([[ 1,  2,  3,  4],\n        [ 9, 10, 11, 12]], dtype=ember.int32)'),
    (Fake(np.array([[1, 3], [5, 7], [9, 11]], dtype=np.int32)),
     'tensor([[ 1,  3],\n        [ 5,  7],\n        [ 9, 11]], dtype=ember.int32)'),
    (f32(np.array([[1, 2], [3, 4]]) / np.array([[5, 6], [7, 8]])),
     'tensor([[0.2000, 0.3333],\n        [0.4286, 0.5000]])'),
    (f32([[0.0271, 0.0495], [0.0183, 0.3877]]),
     'tensor([[0.0271, 0.0495],\n        [0.0183, 0.3877]])'),
    (i64([[6, 8], [10, 12]]), 'tensor([[ 6,  8],\n        [10, 12]])'),
    (i64([[-4, -4], [-4, -4]]), 'tensor([[-4, -4],\n        [-4, -4]])'),
    (i64([[5, 12], [21, 32]]), 'tensor([[ 5, 12],\n        [21, 32]])'),
    (f32(np.arange(0, 2.5, 0.5)), 'tensor([0.0000, 0.5000, 1.0000, 1.5000, 2.0000])'),
    (f32(np.linspace(3, 10, 5)), 'tensor([ 3.0000,  4.7500,  6.5000,  8.2500, 10.0000])'),
    (i64(np.arange(5)), 'tensor([0, 1, 2, 3, 4])'),
    (f32([3., 3.]), 'tensor([3., 3.])'),
    (f32([7.]), 'tensor([7.])'),
    (i64([1, 0]), 'tensor([1, 0])'),
    (Fake(np.array(True)), 'tensor(True)'),
    (Fake(np.array(False)), 'tensor(False)'),
    (i64([2, 4, 6, 8, 10]), 'tensor([ 2,  4,  6,  8, 10])'),
    (i64([0, 0, 0, 0, 0, 12, 14, 16, 18, 20]),
     'tensor([ 0,  0,  0,  0,  0, 12, 14, 16, 18, 20])'),
    (f32([[8., 18.], [14., 32.]]), 'tensor([[ 8., 18.],\n        [14., 32.]])'),
    (f32([[2., 9.], [8., 20.]]), 'tensor([[ 2.,  9.],\n        [ 8., 20.]])'),
    (f32(39.), 'tensor(39.)'),
    (f32([[1., 1., 0., 0.], [1., 1., 0., 0.]]),
     'tensor([[1., 1., 0., 0.],\n        [1., 1., 0., 0.]])'),
    (Fake(np.ones((2, 2), np.float32), requires_grad=True),
     'tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)'),
    (Fake(np.full((2, 2), 3, np.float32), grad_fn=FakeNode('AddBackward0')),
     'tensor([[3., 3.],\n        [3., 3.]], grad_fn=<AddBackward0>)'),
    (Fake(np.full((2, 2), 27, np.float32), grad_fn=FakeNode('MulBackward0')),
     'tensor([[27., 27.],\n        [27., 27.]], grad_fn=<MulBackward0>)'),
    (Fake(np.array(27, np.float32), grad_fn=FakeNode('MeanBackward0')),
     'tensor(27., grad_fn=<MeanBackward0>)'),
    (Fake(np.array([[-0.1491], [-0.3779]], np.float32), grad_fn=FakeNode('AddmmBackward0')),
     'tensor([[-0.1491],\n        [-0.3779]], grad_fn=<AddmmBackward0>)'),
    (Fake(np.array([[4, 4, 4], [8, 8, 8]], np.float32), grad_fn=FakeNode('AddmmBackward0')),
     'tensor([[4., 4., 4.],\n        [8., 8., 8.]], grad_fn=<AddmmBackward0>)'),
]


@pytest.mark.parametrize('t, expected', SEED_CASES, ids=range(len(SEED_CASES)))
def test_seed_outputs(t, expected):
    assert tensor_repr(t) == expected


# ---------------------------------------------------------------------------------------
# Hand-written cases (no torch needed)
# ---------------------------------------------------------------------------------------
def test_special_values_and_styles():
    assert tensor_repr(f32([np.nan, 1., -np.inf])) == 'tensor([nan, 1., -inf])'
    assert tensor_repr(f32([-0., 1.])) == 'tensor([-0., 1.])'
    assert tensor_repr(f32([-0., 1.5])) == 'tensor([-0.0000, 1.5000])'
    assert tensor_repr(f32([0., 0.])) == 'tensor([0., 0.])'
    assert tensor_repr(f32([1e-5, 1e5])) == 'tensor([1.0000e-05, 1.0000e+05])'
    assert tensor_repr(f32(1e10)) == 'tensor(1.0000e+10)'
    assert tensor_repr(Fake(np.array([True, False]))) == 'tensor([ True, False])'
    values = np.array([1 + 2j, complex(-0.0, 0.0), complex(np.nan, 1)], np.complex64)
    assert tensor_repr(Fake(values)) == 'tensor([1.+2.j, -0.+0.j, nan+1.j])'


def test_dtype_suffix_follows_default_dtype():
    assert tensor_repr(Fake(np.array([1., 2.]))) == 'tensor([1., 2.], dtype=ember.float64)'
    _dtype.set_default_dtype(_dtype.float64)
    assert tensor_repr(Fake(np.array([1., 2.]))) == 'tensor([1., 2.])'
    assert tensor_repr(f32([1., 2.])) == 'tensor([1., 2.], dtype=ember.float32)'
    assert tensor_repr(Fake(np.array([1j]))) == 'tensor([0.+1.j])'


def test_empty():
    assert tensor_repr(f32([])) == 'tensor([])'
    assert tensor_repr(Fake(np.zeros((0, 3), np.float32))) == 'tensor([], size=(0, 3))'
    assert (tensor_repr(Fake(np.zeros((0, 3), np.int64)))
            == 'tensor([], size=(0, 3), dtype=ember.int64)')
    assert tensor_repr(Fake(np.zeros(0, np.int32))) == 'tensor([], dtype=ember.int32)'


def test_device_and_suffix_order():
    t = Fake(np.array([1., 2.], np.float64), device=FakeDevice('cuda', 0), requires_grad=True)
    assert tensor_repr(t) == (
        "tensor([1., 2.], device='cuda:0', dtype=ember.float64, requires_grad=True)")
    # 18 entries of width 2 fit a line, so each row's last line holds 12 and ends at
    # column 57: device='cuda:0' still fits within 80 columns, the grad_fn does not.
    t = Fake(np.full((2, 30), 5., np.float32), device=FakeDevice('cuda', 0),
             grad_fn=FakeNode('AddBackward0'))
    lines = tensor_repr(t).split('\n')
    assert lines[-2] == '         ' + '5., ' * 11 + "5.]], device='cuda:0',"
    assert lines[-1] == '       grad_fn=<AddBackward0>)'


def test_tensor_contents_replaces_values():
    t = Fake(np.array([1, 2], np.int32), requires_grad=False)
    assert tensor_repr(t, tensor_contents='[...]') == 'tensor([...], dtype=ember.int32)'


def test_summarised_ints():
    assert (tensor_repr(i64(np.arange(2000)))
            == 'tensor([   0,    1,    2,  ..., 1997, 1998, 1999])')
    set_printoptions(threshold=5, edgeitems=2)
    assert tensor_repr(i64(np.arange(10))) == 'tensor([0, 1,  ..., 8, 9])'


def test_printoptions_api():
    assert get_printoptions() == {'precision': 4, 'threshold': 1000, 'edgeitems': 3,
                                  'linewidth': 80, 'sci_mode': None}
    with printoptions(precision=2, sci_mode=True):
        assert get_printoptions()['precision'] == 2
        assert tensor_repr(f32([1.5])) == 'tensor([1.50e+00])'
    assert get_printoptions()['precision'] == 4
    assert get_printoptions()['sci_mode'] is None
    set_printoptions(profile='short')
    assert get_printoptions() == {'precision': 2, 'threshold': 1000, 'edgeitems': 2,
                                  'linewidth': 80, 'sci_mode': None}
    set_printoptions(profile='full', precision=6)
    assert get_printoptions()['threshold'] == float('inf')
    assert get_printoptions()['precision'] == 6
    set_printoptions(sci_mode=False)
    set_printoptions(precision=3)  # sci_mode not given: back to automatic
    assert get_printoptions()['sci_mode'] is None


def test_huge_tensor_is_summarised():
    t = Fake(np.arange(10 ** 7, dtype=np.float64).reshape(1000, 10000))
    s = tensor_repr(t)
    assert s.startswith('tensor([[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 9.9970e+03,')


# ---------------------------------------------------------------------------------------
# Oracle: PyTorch's own repr
# ---------------------------------------------------------------------------------------
def _fake_from_torch(tt):
    import torch
    x = tt.detach()
    if x.dtype == torch.bfloat16:
        data = x.float().numpy().astype(ml_dtypes.bfloat16)
    else:
        data = x.numpy()
    grad_fn = FakeNode(type(tt.grad_fn).__name__) if tt.grad_fn is not None else None
    return Fake(data, requires_grad=tt.requires_grad, grad_fn=grad_fn)


def _check(tt):
    expected = repr(tt).replace('torch.', 'ember.')
    assert tensor_repr(_fake_from_torch(tt)) == expected


def _rand(seed, *shape):
    return np.random.default_rng(seed).standard_normal(shape)


def _oracle_cases():
    import torch
    T = torch.tensor
    inf, nan = float('inf'), float('nan')
    cases = {
        'int_small': lambda: T([1, 2, 3]),
        'int_large': lambda: T([1, 123456789012, -5]),
        'int_negative': lambda: T([[-1, -20], [-300, 4]]),
        'int32': lambda: T([1, -2], dtype=torch.int32),
        'int16': lambda: T([1, -2], dtype=torch.int16),
        'int8': lambda: T([-128, 127], dtype=torch.int8),
        'uint8': lambda: T([0, 255], dtype=torch.uint8),
        'int_0d': lambda: T(-7),
        'int_0d_int32': lambda: T(5, dtype=torch.int32),
        'float_basic': lambda: T([1.5, -2.25, 3.125]),
        'float_0d': lambda: T(3.),
        'float_0d_frac': lambda: T(-0.5),
        'float_sci_small': lambda: T([1e-5, 2e-6]),
        'float_sci_large': lambda: T([1e9, 2.5]),
        'float_mixed': lambda: T([1e-5, 1e5]),
        'float_ratio_1000': lambda: T([0.001, 1.0, 1.5]),
        'float_ratio_1001': lambda: T([0.001, 1.001, 1.5]),
        'float_int_valued': lambda: T([1., 2., -300.]),
        'float_int_valued_big': lambda: T([1e8, 1.]),
        'float_round_up': lambda: T([9.99996, 0.5]),
        'float_nan_inf': lambda: T([nan, inf, -inf, 1.5]),
        'float_only_nonfinite': lambda: T([nan, -inf]),
        'float_zeros': lambda: torch.zeros(2, 3),
        'float_neg_zero': lambda: T([-0., 0., 2.]),
        'float_extreme_exponent': lambda: T([1e-300, 1e300], dtype=torch.float64),
        'float64': lambda: T([0.1, 0.2], dtype=torch.float64),
        'float16': lambda: T([0.1, 1000.5, -3.], dtype=torch.float16),
        'float16_sci': lambda: T([1e-4, 60000.], dtype=torch.float16),
        'bool': lambda: T([True, False, True]),
        'bool_all_true': lambda: T([[True], [True]]),
        'bool_0d': lambda: T(False),
        'complex64': lambda: T([1 + 2j, -3.5 - 0.25j]),
        'complex128': lambda: T([1e-6 + 1j, 2 - 1e6j], dtype=torch.complex128),
        'complex_0d': lambda: T(1 - 1j),
        'complex_nan': lambda: T([complex(nan, 1), complex(1, -inf)]),
        'complex_2d': lambda: torch.tensor(_rand(1, 3, 3) + 1j * _rand(2, 3, 3),
                                           dtype=torch.complex64),
        'empty_1d': lambda: T([]),
        'empty_2d': lambda: torch.empty(0, 3),
        'empty_3d_int': lambda: torch.empty(2, 0, 1, dtype=torch.int64),
        'empty_bool': lambda: torch.empty(0, dtype=torch.bool),
        'empty_f64': lambda: torch.empty(0, dtype=torch.float64),
        '2d': lambda: torch.arange(12.).reshape(3, 4) / 7,
        '3d': lambda: torch.arange(24).reshape(2, 3, 4),
        '4d': lambda: torch.tensor(_rand(3, 2, 2, 2, 3), dtype=torch.float32),
        'arange_2000': lambda: torch.arange(2000),
        'arange_1001': lambda: torch.arange(1001.),
        'randn_100x100': lambda: torch.tensor(_rand(4, 100, 100), dtype=torch.float32),
        'randn_20x60x3': lambda: torch.tensor(_rand(5, 20, 60, 3), dtype=torch.float32),
        'tall_summarised': lambda: torch.arange(3000).reshape(1000, 3),
        'wide_row': lambda: torch.tensor(_rand(6, 40), dtype=torch.float32),
        'wide_ints': lambda: torch.arange(100) * 1000,
        'wide_2d': lambda: torch.tensor(_rand(7, 3, 25), dtype=torch.float64),
        'wide_complex': lambda: torch.tensor(_rand(8, 12) + 1j * _rand(9, 12)),
        'transposed': lambda: torch.arange(12.).reshape(3, 4).t() * 1.5,
        'transposed_3d': lambda: torch.arange(24).reshape(2, 3, 4).permute(2, 0, 1),
        'strided': lambda: torch.arange(20.)[::3],
        'requires_grad': lambda: torch.ones(2, 2, requires_grad=True),
        'requires_grad_0d': lambda: torch.tensor(2., requires_grad=True),
        'requires_grad_f64': lambda: torch.ones(3, dtype=torch.float64, requires_grad=True),
        'grad_fn_add': lambda: torch.ones(2, 2, requires_grad=True) + 2,
        'grad_fn_mean': lambda: (torch.ones(2, 2, requires_grad=True) * 3).mean(),
        'grad_fn_wrap': lambda: torch.ones(2, 9, dtype=torch.float64, requires_grad=True) * 7,
        'grad_fn_empty': lambda: torch.empty(0, 4, requires_grad=True) * 2,
        'suffix_wrap_long_row': lambda: torch.full((1, 12), -12.25, dtype=torch.float64,
                                                   requires_grad=True),
    }
    if ml_dtypes is not None:
        cases['bfloat16'] = lambda: T([0.1, 1e5, 2.], dtype=torch.bfloat16)
        cases['bfloat16_int'] = lambda: T([[1., 2.], [256., -3.]], dtype=torch.bfloat16)
        cases['bfloat16_0d'] = lambda: T(3.14159, dtype=torch.bfloat16)
    return cases


_ORACLE_NAMES = [
    'int_small', 'int_large', 'int_negative', 'int32', 'int16', 'int8', 'uint8', 'int_0d',
    'int_0d_int32', 'float_basic', 'float_0d', 'float_0d_frac', 'float_sci_small',
    'float_sci_large', 'float_mixed', 'float_ratio_1000', 'float_ratio_1001',
    'float_int_valued', 'float_int_valued_big', 'float_round_up', 'float_nan_inf',
    'float_only_nonfinite', 'float_zeros', 'float_neg_zero', 'float_extreme_exponent',
    'float64', 'float16', 'float16_sci', 'bool', 'bool_all_true', 'bool_0d', 'complex64',
    'complex128', 'complex_0d', 'complex_nan', 'complex_2d', 'empty_1d', 'empty_2d',
    'empty_3d_int', 'empty_bool', 'empty_f64', '2d', '3d', '4d', 'arange_2000',
    'arange_1001', 'randn_100x100', 'randn_20x60x3', 'tall_summarised', 'wide_row',
    'wide_ints', 'wide_2d', 'wide_complex', 'transposed', 'transposed_3d', 'strided',
    'requires_grad', 'requires_grad_0d', 'requires_grad_f64', 'grad_fn_add', 'grad_fn_mean',
    'grad_fn_wrap', 'grad_fn_empty', 'suffix_wrap_long_row', 'bfloat16', 'bfloat16_int',
    'bfloat16_0d',
]


def _case(name):
    pytest.importorskip('torch')
    cases = _oracle_cases()
    if name not in cases:
        pytest.skip('needs ml_dtypes')
    return cases[name]()


@pytest.mark.parametrize('name', _ORACLE_NAMES)
def test_oracle_default_options(name):
    _check(_case(name))


def test_oracle_non_contiguous_numpy_input():
    torch = pytest.importorskip('torch')
    a = np.arange(12, dtype=np.float32).reshape(3, 4) / 3
    assert not a.T.flags.c_contiguous
    assert tensor_repr(Fake(a.T)) == repr(torch.from_numpy(a).t())


_OPTION_SETS = [
    dict(precision=2),
    dict(precision=0),
    dict(precision=8),
    dict(sci_mode=True),
    dict(sci_mode=False),
    dict(threshold=10),
    dict(threshold=10, edgeitems=1),
    dict(threshold=0),
    dict(edgeitems=0),
    dict(threshold=5, edgeitems=0),
    dict(profile='full'),
    dict(profile='short'),
    dict(profile='short', precision=6),
    dict(linewidth=40),
    dict(linewidth=120),
    dict(linewidth=5),
]
_OPTION_TENSORS = [
    'float_basic', 'float_mixed', 'float_int_valued', 'float_zeros', 'float_nan_inf',
    'float_0d', 'int_negative', 'bool', 'complex64', 'complex_2d', 'empty_2d', '3d',
    'arange_2000', 'randn_100x100', 'wide_row', 'wide_complex', 'transposed',
    'grad_fn_wrap', 'float16',
]


@pytest.mark.parametrize('options', _OPTION_SETS, ids=lambda o: repr(o)[1:-1])
def test_oracle_with_printoptions(options):
    torch = pytest.importorskip('torch')
    cases = _oracle_cases()
    torch.set_printoptions(**options)
    set_printoptions(**options)
    for name in _OPTION_TENSORS:
        tt = cases[name]()
        expected = repr(tt).replace('torch.', 'ember.')
        assert tensor_repr(_fake_from_torch(tt)) == expected, name


@pytest.mark.parametrize('name', ['float_basic', 'float64', 'complex128', 'complex64',
                                  'empty_f64', 'empty_1d', 'int_small', 'requires_grad_f64'])
def test_oracle_default_dtype_float64(name):
    torch = pytest.importorskip('torch')
    tt = _case(name)
    torch.set_default_dtype(torch.float64)
    _dtype.set_default_dtype(_dtype.float64)
    _check(tt)


def test_oracle_randomised():
    """A seeded sweep over dtypes, shapes, magnitudes and options."""
    torch = pytest.importorskip('torch')
    rng = np.random.default_rng(1234)
    dtypes = [torch.float32, torch.float64, torch.float16, torch.int64, torch.int32,
              torch.uint8, torch.bool, torch.complex64]
    for _ in range(300):
        shape = tuple(int(rng.integers(1, 6)) for _ in range(rng.integers(0, 4)))
        scale = 10.0 ** rng.integers(-8, 9, size=shape)
        values = rng.standard_normal(shape) * scale
        other = rng.standard_normal(shape) * scale
        if rng.random() < 0.3:
            values, other = np.round(values), np.round(other)
        dt = dtypes[rng.integers(len(dtypes))]
        if dt.is_complex:
            tt = torch.tensor(values + 1j * other, dtype=dt)
        elif dt == torch.bool:
            tt = torch.tensor(values > 0)
        elif dt.is_floating_point:
            tt = torch.tensor(values, dtype=torch.float64).to(dt)
        else:
            info = torch.iinfo(dt)
            tt = torch.tensor(np.clip(values, info.min, info.max).astype(np.int64)).to(dt)
        options = dict(precision=int(rng.integers(1, 7)),
                       threshold=int(rng.choice([2, 20, 1000])),
                       edgeitems=int(rng.integers(1, 4)),
                       linewidth=int(rng.choice([30, 80])),
                       sci_mode=[None, True, False][rng.integers(3)])
        torch.set_printoptions(**options)
        set_printoptions(**options)
        expected = repr(tt).replace('torch.', 'ember.')
        assert tensor_repr(_fake_from_torch(tt)) == expected, (options, values, dt)
