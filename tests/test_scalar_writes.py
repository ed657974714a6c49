"""Writes of scalars and writes into self-overlapping (expanded) tensors, against PyTorch.

- ``masked_fill_``, ``index_fill_`` and ``index_put_`` still write through an expanded
  tensor in PyTorch, with a deprecation warning (every aliased element receives the same
  value); most other in-place ops and ``out=`` refuse it.
- A Python number or 0-d tensor written into a tensor goes through PyTorch's checked
  conversion: complex values need a zero imaginary part (bool takes any), integers must fit
  (unsigned types also take negatives down to -max, which wrap), NaN never fits an integer;
  ``fill_`` with a tensor value is an unchecked cast, like a copy.
"""
import warnings

import numpy as np
import pytest

import ember
from oracle import check, requires_torch, torch

pytestmark = requires_torch


def _expanded(lib):
    return lib.zeros(3).expand(2, 3)


def _with_warnings(lib, write):
    """(the tensor after ``write``, the warnings it gave), the messages without PyTorch's
    '(Triggered internally at ...)' suffix."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        result = write(lib)
    messages = tuple(str(w.message).split(' (Triggered internally')[0] for w in caught
                     if issubclass(w.category, UserWarning))
    return result, messages


EXPANDED_WRITES = {
    'masked_fill_': lambda lib: _expanded(lib).masked_fill_(
        lib.tensor([[True, False, False], [False, False, True]]), 2.),
    'masked_fill_tensor': lambda lib: _expanded(lib).masked_fill_(
        lib.tensor([[True, False, False], [False, False, False]]), lib.tensor(7.)),
    'index_fill_': lambda lib: _expanded(lib).index_fill_(1, lib.tensor([0]), 2.),
    'index_fill_tensor': lambda lib: _expanded(lib).index_fill_(1, lib.tensor([2]),
                                                                lib.tensor(4.)),
    'index_fill_expanded_dim': lambda lib: lib.zeros(3, 1).expand(3, 4).index_fill_(
        1, lib.tensor([3]), 2.),
    'masked_fill_transposed': lambda lib: lib.zeros(3, 1).expand(3, 4).t().masked_fill_(
        lib.ones(4, 3, dtype=lib.bool).tril(), 1.),
    'index_put_': lambda lib: _expanded(lib).index_put_((lib.tensor([1]),), lib.tensor(3.)),
    'index_put_pair': lambda lib: _expanded(lib).index_put_(
        (lib.tensor([0]), lib.tensor([1])), lib.tensor(3.)),
    'index_put_accumulate': lambda lib: _expanded(lib).index_put_(
        (lib.tensor([1]),), lib.tensor(3.), accumulate=True),
}


@pytest.mark.parametrize('name', EXPANDED_WRITES)
def test_writes_through_expanded_tensors_warn_like_pytorch(name):
    write = EXPANDED_WRITES[name]
    e_out, e_warnings = _with_warnings(ember, write)
    t_out, t_warnings = _with_warnings(torch, write)
    np.testing.assert_array_equal(e_out.numpy(), t_out.numpy())
    assert e_warnings == t_warnings[-1:] and e_warnings   # the op's own deprecation warning


REFUSED = {
    'add_': lambda lib: _expanded(lib).add_(1),
    'copy_': lambda lib: _expanded(lib).copy_(lib.ones(2, 3)),
    'masked_scatter_': lambda lib: _expanded(lib).masked_scatter_(
        lib.ones(2, 3, dtype=lib.bool), lib.arange(6.)),
    'index_copy_': lambda lib: _expanded(lib).index_copy_(1, lib.tensor([0]), lib.ones(2, 1)),
    'scatter_': lambda lib: _expanded(lib).scatter_(1, lib.tensor([[0], [1]]), 5.),
    'add_out': lambda lib: lib.add(lib.ones(2, 3), 1, out=_expanded(lib)),
    'mm_out': lambda lib: lib.mm(lib.ones(2, 3), lib.ones(3, 2),
                                 out=lib.zeros(2).expand(2, 2)),
    'masked_fill_larger_mask': lambda lib: _expanded(lib).masked_fill_(
        lib.ones(4, 2, 3, dtype=lib.bool), 1.),
    'masked_fill_recorded': lambda lib: lib.zeros(3, requires_grad=True).clone().expand(
        2, 3).mul_(2),
}


@pytest.mark.parametrize('name', REFUSED)
def test_refused_writes_into_expanded_tensors_match_pytorch(name):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        check(REFUSED[name], match_message=True)


def test_refused_write_leaves_the_tensor_alone():
    x = _expanded(ember)
    with pytest.raises(RuntimeError, match='single memory location'):
        ember.add(ember.ones(2, 3), 1, out=x)
    assert x.tolist() == [[0., 0., 0.]] * 2


DTYPES = ['float32', 'float16', 'int64', 'int32', 'uint8', 'bool']
VALUES = [1 + 2j, 3 + 0j, 300, -1, -255, -256, 1e10, float('nan'), 2.5]
WRITERS = {
    'setitem': lambda lib, x, v: x.__setitem__(0, v),
    'full': lambda lib, x, v: lib.full((2,), v, dtype=x.dtype),
    'masked_fill_': lambda lib, x, v: x.masked_fill_(lib.ones(2, dtype=lib.bool), v),
    'masked_fill_tensor': lambda lib, x, v: x.masked_fill_(lib.ones(2, dtype=lib.bool),
                                                           lib.tensor(v)),
    'index_fill_': lambda lib, x, v: x.index_fill_(0, lib.tensor([0]), v),
    'index_fill_tensor': lambda lib, x, v: x.index_fill_(0, lib.tensor([0]), lib.tensor(v)),
    'fill_': lambda lib, x, v: x.fill_(v),
    'fill_tensor': lambda lib, x, v: x.fill_(lib.tensor(v)),
}


@pytest.mark.parametrize('writer', WRITERS)
@pytest.mark.parametrize('dtype', DTYPES)
@pytest.mark.parametrize('value', VALUES, ids=str)
def test_scalar_writes_convert_like_pytorch(writer, dtype, value):
    if writer == 'setitem' and dtype == 'float16' and isinstance(value, complex):
        pytest.skip("PyTorch names 'double' in this one message")
    if writer in ('fill_tensor', 'masked_fill_tensor', 'index_fill_tensor') and \
            value != value and dtype in ('int64', 'int32', 'uint8'):
        pytest.skip('the float NaN -> integer cast is platform-defined in NumPy and C++')
    if writer == 'fill_tensor' and dtype in ('int32', 'uint8') and value == 1e10:
        pytest.skip('an out-of-range float -> integer cast is platform-defined')

    def snippet(lib):
        x = lib.zeros(2, dtype=getattr(lib, dtype))
        result = WRITERS[writer](lib, x, value)
        return result if result is not None else x
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        check(snippet, match_message=True)


HALF_WRITERS = dict(WRITERS, **{
    'fill_one_element': lambda lib, x, v: x[:1].fill_(v),
    'full_one_element': lambda lib, x, v: lib.full((1,), v, dtype=x.dtype),
    'full_empty': lambda lib, x, v: lib.full((0,), v, dtype=x.dtype),
    'setitem_slice': lambda lib, x, v: x.__setitem__(slice(None), v),
    'masked_fill_one': lambda lib, x, v: x[:1].masked_fill_(lib.ones(1, dtype=lib.bool), v),
})


@pytest.mark.parametrize('writer', [w for w in HALF_WRITERS if not w.endswith('tensor')])
@pytest.mark.parametrize('dtype', ['float16', 'bfloat16', 'float32'])
@pytest.mark.parametrize('value', [65519., 1e5, 3.3e38, 3.5e38, 1e39, -1e39, float('inf')],
                         ids=str)
def test_half_range_checks_follow_pytorchs_kernels(writer, dtype, value):
    # PyTorch checks float16/bfloat16 against their largest finite value in its fill
    # kernel, but not in its one-element fill nor in indexed writes; float32 everywhere.
    def snippet(lib):
        x = lib.zeros(2, dtype=getattr(lib, dtype))
        result = HALF_WRITERS[writer](lib, x, value)
        return result if result is not None else x
    check(snippet, match_message=True)
