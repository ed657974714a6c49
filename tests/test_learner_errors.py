"""Messages and printed forms that learners meet first, against PyTorch: formatting 0-d
tensors, the non-leaf ``.grad`` warning, dtype mismatches in Linear and Conv, index and
broadcast errors naming the right dimension, requires_grad on integer tensors."""
import warnings

import pytest

import ember
from oracle import check, requires_torch, torch

pytestmark = requires_torch


FORMATS = {
    'float': lambda lib: f'{lib.tensor(0.5) * 2}',
    'grad_fn': lambda lib: f'loss={lib.tensor(0.5, requires_grad=True) * 2}',
    'int': lambda lib: '{}'.format(lib.tensor(3)),
    'bool': lambda lib: f'{lib.tensor(True)}',
    'complex': lambda lib: f'{lib.tensor(1 + 2j)}',
    'spec': lambda lib: f'{lib.tensor(2.0):>10.3f}|',
    'element': lambda lib: f'{lib.arange(3.)[1]}',
    'mean': lambda lib: f'{(lib.tensor([1, 0, 1]) == lib.tensor([1, 1, 1])).float().mean()}',
    'vector': lambda lib: f'{lib.ones(2)}',
    'parameter': lambda lib: f'{lib.nn.Parameter(lib.tensor(1.))}',
    'vector_spec': lambda lib: f'{lib.ones(2):.2f}',
}


@pytest.mark.parametrize('name', FORMATS)
def test_format_like_pytorch(name):
    check(FORMATS[name], match_message=True)


def _grad_warnings(lib, read):
    x = lib.ones(2, requires_grad=True)
    y = x * 2
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        read(x, y)
    return [str(w.message).split(' (Triggered internally')[0] for w in caught]


@pytest.mark.parametrize('case', ['non_leaf', 'leaf', 'retained', 'after_backward'])
def test_non_leaf_grad_warning(case):
    def read(x, y):
        if case == 'leaf':
            x.grad
        elif case == 'retained':
            y.retain_grad()
            y.sum().backward()
            y.grad
        elif case == 'after_backward':
            y.sum().backward()
            y.grad
        else:
            y.grad
    assert _grad_warnings(ember, read) == _grad_warnings(torch, read)


F32, F64, I64 = 'float32', 'float64', 'int64'
DTYPE_ERRORS = {
    'linear_float64_input': lambda lib: lib.nn.Linear(2, 2)(lib.ones(2, 2, dtype=lib.float64)),
    'linear_3d': lambda lib: lib.nn.Linear(2, 2)(lib.ones(3, 2, 2, dtype=lib.float64)),
    'linear_1d': lambda lib: lib.nn.Linear(2, 2)(lib.ones(2, dtype=lib.float64)),
    'linear_long': lambda lib: lib.nn.Linear(2, 2)(lib.ones(2, 2, dtype=lib.int64)),
    'addmm_self': lambda lib: lib.addmm(lib.ones(2, dtype=lib.float64), lib.ones(2, 2),
                                        lib.ones(2, 2)),
    'addmm_mat1': lambda lib: lib.addmm(lib.ones(2), lib.ones(2, 2, dtype=lib.float64),
                                        lib.ones(2, 2)),
    'addmm_mat2': lambda lib: lib.addmm(lib.ones(2), lib.ones(2, 2),
                                        lib.ones(2, 2, dtype=lib.float64)),
    'conv_float64_input': lambda lib: lib.nn.Conv2d(1, 1, 2)(lib.ones(1, 1, 3, 3,
                                                                      dtype=lib.float64)),
    'conv_long_input': lambda lib: lib.nn.Conv2d(1, 1, 2)(lib.ones(1, 1, 3, 3,
                                                                   dtype=lib.int64)),
    'conv_no_bias': lambda lib: lib.nn.Conv2d(1, 1, 2, bias=False)(
        lib.ones(1, 1, 3, 3, dtype=lib.float64)),
    'conv_weight': lambda lib: lib.nn.functional.conv2d(
        lib.ones(1, 1, 3, 3), lib.ones(1, 1, 2, 2, dtype=lib.float64), lib.ones(1)),
    'conv1d': lambda lib: lib.nn.Conv1d(1, 1, 2)(lib.ones(1, 1, 3, dtype=lib.float64)),
    'conv_transpose': lambda lib: lib.nn.ConvTranspose2d(1, 1, 2)(
        lib.ones(1, 1, 3, 3, dtype=lib.float64)),
}


@pytest.mark.parametrize('name', DTYPE_ERRORS)
def test_dtype_mismatch_messages(name):
    check(DTYPE_ERRORS[name], match_message=True)


def test_linear_of_a_vector_records_a_view():
    def snippet(lib):
        lib.manual_seed(0)
        return lib.nn.Linear(3, 2)(lib.ones(3))
    check(snippet)


INDEX_ERRORS = {
    'second': lambda lib: lib.zeros(3, 4)[1, 4],
    'third': lambda lib: lib.zeros(2, 3, 4)[1, 2, 5],
    'negative': lambda lib: lib.zeros(3, 4)[1, -5],
    'after_ellipsis': lambda lib: lib.zeros(2, 3, 4)[..., 4],
    'after_slice': lambda lib: lib.zeros(2, 3, 4)[:, 3],
    'after_none': lambda lib: lib.zeros(3, 4)[None, 1, 7],
    'setitem': lambda lib: lib.zeros(3, 4).__setitem__((1, 4), 1.),
    'tensor_then_int': lambda lib: lib.zeros(3, 4)[lib.tensor([0]), 7],
}


@pytest.mark.parametrize('name', INDEX_ERRORS)
def test_index_errors_name_pytorchs_dimension(name):
    check(INDEX_ERRORS[name], match_message=True)


BROADCAST_ERRORS = {
    'divide': lambda lib: lib.ones(2, 3) / lib.ones(3, 2),
    'add_3d': lambda lib: lib.ones(4, 2, 3) + lib.ones(5, 1, 3),
    'different_ranks': lambda lib: lib.ones(2, 1, 3) * lib.ones(4, 5, 3),
    'vectors': lambda lib: lib.ones(3) + lib.ones(4),
    'expand_as': lambda lib: lib.ones(2, 3).expand_as(lib.ones(3, 3)),
    'masked_fill': lambda lib: lib.ones(2, 3).masked_fill(lib.ones(3, 2, dtype=lib.bool), 0),
    'masked_select': lambda lib: lib.masked_select(lib.ones(2, 3),
                                                   lib.ones(3, 2, dtype=lib.bool)),
    'where': lambda lib: lib.where(lib.ones(2, 3, dtype=lib.bool), lib.ones(5, 2, 3),
                                   lib.ones(4, 3)),
    'broadcast_shapes': lambda lib: lib.broadcast_shapes((2, 3), (1, 3), (4, 1, 2)),
    'broadcast_tensors': lambda lib: lib.broadcast_tensors(lib.ones(2, 3), lib.ones(3, 3)),
    'inplace': lambda lib: lib.ones(2, 3).add_(lib.ones(4, 2, 3)),
}


@pytest.mark.parametrize('name', BROADCAST_ERRORS)
def test_broadcast_errors_like_pytorch(name):
    check(BROADCAST_ERRORS[name], match_message=True)


GRAD_FLAGS = {
    'tensor': lambda lib: lib.tensor([1, 2], requires_grad=True),
    'zeros': lambda lib: lib.zeros(2, dtype=lib.int64, requires_grad=True),
    'arange': lambda lib: lib.arange(3, requires_grad=True),
    'parameter': lambda lib: lib.nn.Parameter(lib.tensor([1, 2])),
    'method': lambda lib: lib.tensor([1, 2]).requires_grad_(),
    'attribute': lambda lib: setattr(lib.tensor([1, 2]), 'requires_grad', True),
    'bool_empty': lambda lib: bool(lib.ones(0)),
    'bool_two': lambda lib: bool(lib.ones(2)),
    'is_nonzero_empty': lambda lib: lib.is_nonzero(lib.ones(0)),
    'if_empty': lambda lib: 1 if lib.ones(0, 3) else 0,
}


@pytest.mark.parametrize('name', GRAD_FLAGS)
def test_requires_grad_and_truth_value_messages(name):
    check(GRAD_FLAGS[name], match_message=True)
