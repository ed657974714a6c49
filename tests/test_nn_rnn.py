"""Recurrent layers (RNN, LSTM, GRU, cells) and nn.utils.rnn (packing, padding): against
PyTorch with its weights loaded (outputs, states, gradients, reprs, state_dict keys, grad_fn
names, strides, errors), by hand with NumPy, and by finite differences in float64."""
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import ember
from ember.autograd import gradcheck, gradgradcheck
from oracle import check, requires_torch

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

TOL = dict(rtol=1e-4, atol=1e-5, check_repr=False)  # printed digits may differ in the last place


def _values(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _module(lib, name, *args, seed=0, **kwargs):
    """PyTorch's seeded layer; for ember the same class with PyTorch's weights loaded."""
    torch.manual_seed(seed)
    tm = getattr(torch.nn, name)(*args, **kwargs)
    if lib is torch:
        return tm
    em = getattr(ember.nn, name)(*args, **kwargs)
    em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in
                        tm.state_dict().items()})
    return em


def _cotangent_loss(lib, outputs):
    loss = 0
    for k, out in enumerate(outputs):
        w = lib.tensor(np.cos(np.arange(out.numel()) + k).reshape(tuple(out.shape)),
                       dtype=out.dtype)
        loss = loss + (out * w).sum()
    return loss


def _flat(hidden):
    return list(hidden) if isinstance(hidden, tuple) else [hidden]


# ---------------------------------------------------------------------------------------
# full layers against PyTorch
# ---------------------------------------------------------------------------------------
# (id, class, constructor kwargs, input shape, with initial state)
LAYERS = [
    ('lstm', 'LSTM', {}, (5, 3, 4), False),
    ('lstm_h0', 'LSTM', {}, (5, 3, 4), True),
    ('lstm_2layers', 'LSTM', dict(num_layers=2), (5, 3, 4), True),
    ('lstm_bidir', 'LSTM', dict(bidirectional=True), (5, 3, 4), True),
    ('lstm_batch_first', 'LSTM', dict(batch_first=True), (3, 5, 4), True),
    ('lstm_nobias', 'LSTM', dict(bias=False), (5, 3, 4), False),
    ('lstm_proj', 'LSTM', dict(proj_size=3), (5, 3, 4), True),
    ('lstm_proj_bidir_2', 'LSTM', dict(proj_size=2, num_layers=2, bidirectional=True),
     (4, 2, 4), True),
    ('lstm_all', 'LSTM', dict(num_layers=3, bidirectional=True, batch_first=True), (2, 4, 4),
     True),
    ('lstm_unbatched', 'LSTM', {}, (5, 4), False),
    ('lstm_unbatched_h0', 'LSTM', dict(num_layers=2), (5, 4), True),
    ('lstm_t1_b1', 'LSTM', {}, (1, 1, 4), False),
    ('gru', 'GRU', {}, (5, 3, 4), False),
    ('gru_h0', 'GRU', dict(num_layers=2), (5, 3, 4), True),
    ('gru_bidir', 'GRU', dict(bidirectional=True, bias=False), (5, 3, 4), True),
    ('gru_batch_first', 'GRU', dict(batch_first=True, num_layers=2), (3, 5, 4), True),
    ('gru_unbatched', 'GRU', dict(batch_first=True), (5, 4), True),
    ('rnn', 'RNN', {}, (5, 3, 4), False),
    ('rnn_relu', 'RNN', dict(nonlinearity='relu', num_layers=2), (5, 3, 4), True),
    ('rnn_bidir', 'RNN', dict(bidirectional=True, num_layers=2), (5, 3, 4), True),
    ('rnn_batch_first', 'RNN', dict(batch_first=True, bias=False), (3, 5, 4), True),
    ('rnn_unbatched', 'RNN', {}, (5, 4), True),
]


def _initial_state(lib, name, kwargs, shape, hidden=6):
    D = 2 if kwargs.get('bidirectional') else 1
    L = kwargs.get('num_layers', 1)
    batched = len(shape) == 3
    B = (shape[0] if kwargs.get('batch_first') else shape[1]) if batched else None
    P = kwargs.get('proj_size', 0) or hidden

    def make(size, seed):
        s = (L * D, B, size) if batched else (L * D, size)
        return lib.tensor(_values(s, seed), requires_grad=True)
    if name == 'LSTM':
        return (make(P, 10), make(hidden, 11))
    return make(hidden, 10)


def _layer_snippet(name, kwargs, shape, with_state, train, detach_output):
    def snippet(lib):
        m = _module(lib, name, 4, 6, **kwargs)
        m.train(train)
        x = lib.tensor(_values(shape, 1), requires_grad=True)
        hx = _initial_state(lib, name, kwargs, shape) if with_state else None
        out, hidden = m(x, hx)
        states = _flat(hidden)
        _cotangent_loss(lib, [out] + states).backward()
        grads = [x.grad] + ([t.grad for t in _flat(hx)] if hx is not None else [])
        grads += [p.grad for p in m.parameters()]
        shown = out.detach() if detach_output else out
        return [shown] + states + grads + [repr(m), list(m.state_dict().keys())]
    return snippet


@requires_torch
@pytest.mark.parametrize('train', [False, True], ids=['eval', 'train'])
@pytest.mark.parametrize('case', LAYERS, ids=[c[0] for c in LAYERS])
def test_layer_matches_pytorch(case, train):
    _, name, kwargs, shape, with_state = case
    # PyTorch's GRU/RNN transpose their batch-first output in place (TransposeBackward1).
    detach = name != 'LSTM' and kwargs.get('batch_first', False) and len(shape) == 3
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        check(_layer_snippet(name, kwargs, shape, with_state, train, detach), **TOL)


@requires_torch
@pytest.mark.parametrize('name', ['LSTM', 'GRU', 'RNN'])
def test_dropout_between_layers_matches_pytorch_rng(name):
    def snippet(lib):
        m = _module(lib, name, 4, 6, num_layers=3, dropout=0.5)
        x = lib.tensor(_values((5, 3, 4), 1), requires_grad=True)
        lib.manual_seed(7)
        out, hidden = m(x)
        _cotangent_loss(lib, [out]).backward()
        return [out.detach(), x.grad] + [p.grad for p in m.parameters()]
    check(snippet, **TOL)


@requires_torch
@pytest.mark.parametrize('name,kwargs', [
    ('LSTM', {}), ('LSTM', dict(num_layers=2, bidirectional=True, proj_size=2)),
    ('GRU', dict(batch_first=True)), ('RNN', dict(nonlinearity='relu', bias=False)),
    ('RNN', dict(num_layers=2, dropout=0.25, bidirectional=True)),
])
def test_seeded_construction_equals_pytorch(name, kwargs):
    def snippet(lib):
        lib.manual_seed(123)
        m = getattr(lib.nn, name)(3, 5, **kwargs)
        return [p.detach() for p in m.parameters()] + [
            [n for n, _ in m.named_parameters()], repr(m),
            [[tuple(w.shape) for w in ws] for ws in m.all_weights]]
    check(snippet)


@requires_torch
@pytest.mark.parametrize('dtype', ['float64', 'float16'])
def test_other_dtypes(dtype):
    def snippet(lib):
        m = _module(lib, 'LSTM', 3, 4, num_layers=2).to(getattr(lib, dtype))
        x = lib.tensor(_values((4, 2, 3), 1), dtype=getattr(lib, dtype))
        out, (h, c) = m(x)
        return [out.detach(), h.detach(), c.detach()]
    check(snippet, rtol=2e-3, atol=2e-3, check_repr=False)


def test_parameter_names_and_shapes():
    m = ember.nn.LSTM(3, 5, num_layers=2, bidirectional=True, proj_size=2)
    shapes = {n: tuple(p.shape) for n, p in m.named_parameters()}
    assert shapes['weight_ih_l0'] == (20, 3)
    assert shapes['weight_hh_l0'] == (20, 2)
    assert shapes['weight_hr_l0'] == (2, 5)
    assert shapes['weight_ih_l1_reverse'] == (20, 4)
    assert list(shapes)[:5] == ['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0',
                                'weight_hr_l0']
    assert m._flat_weights_names == list(shapes)
    bound = 1 / math.sqrt(5)
    assert all(float(p.abs().max()) <= bound for p in m.parameters())


# ---------------------------------------------------------------------------------------
# packed sequences through the layers
# ---------------------------------------------------------------------------------------
PACKED = [
    ('lstm_sorted', 'LSTM', {}, [5, 3, 3, 1], True, False),
    ('lstm_unsorted_h0', 'LSTM', dict(num_layers=2, bidirectional=True), [2, 5, 1, 3], False,
     True),
    ('lstm_proj', 'LSTM', dict(proj_size=2, bidirectional=True), [4, 4, 2], True, True),
    ('gru_unsorted', 'GRU', dict(bidirectional=True), [3, 1, 5, 2], False, True),
    ('gru_batch_first', 'GRU', dict(batch_first=True), [5, 2, 2, 1], True, False),
    ('rnn_unsorted', 'RNN', dict(num_layers=2, nonlinearity='relu'), [1, 4, 5, 2], False,
     True),
]


@requires_torch
@pytest.mark.parametrize('case', PACKED, ids=[c[0] for c in PACKED])
def test_packed_input_matches_pytorch(case):
    _, name, kwargs, lengths, enforce_sorted, with_state = case
    bf = kwargs.get('batch_first', False)
    T, B = max(lengths), len(lengths)

    def snippet(lib):
        R = lib.nn.utils.rnn
        m = _module(lib, name, 4, 6, **kwargs)
        x = lib.tensor(_values((B, T, 4) if bf else (T, B, 4), 1), requires_grad=True)
        packed = R.pack_padded_sequence(x, lengths, batch_first=bf,
                                        enforce_sorted=enforce_sorted)
        hx = _initial_state(lib, name, kwargs, (B, T, 4) if bf else (T, B, 4)) \
            if with_state else None
        out, hidden = m(packed, hx)
        padded, lens = R.pad_packed_sequence(out, batch_first=bf, padding_value=-1.0)
        _cotangent_loss(lib, [padded] + _flat(hidden)).backward()
        grads = [x.grad] + ([t.grad for t in _flat(hx)] if hx is not None else [])
        return [out.data, out.batch_sizes, out.sorted_indices, padded, lens] + \
            _flat(hidden) + grads + [p.grad for p in m.parameters()]
    check(snippet, **TOL)


@settings(max_examples=15, deadline=None)
@given(lengths=st.lists(st.integers(1, 5), min_size=1, max_size=4),
       mode=st.sampled_from(['LSTM', 'GRU', 'RNN']), bidirectional=st.booleans())
def test_packed_equals_each_sequence_alone(lengths, mode, bidirectional):
    """Running a packed batch gives, for every sequence, what running it alone gives."""
    ember.manual_seed(0)
    m = getattr(ember.nn, mode)(3, 4, bidirectional=bidirectional)
    seqs = [ember.tensor(_values((n, 3), i)) for i, n in enumerate(lengths)]
    packed = ember.nn.utils.rnn.pack_sequence(seqs, enforce_sorted=False)
    out, hidden = m(packed)
    padded, lens = ember.nn.utils.rnn.pad_packed_sequence(out)
    h_n = _flat(hidden)[0]
    for i, s in enumerate(seqs):
        alone, h_alone = m(s)
        np.testing.assert_allclose(padded[:lengths[i], i].detach().numpy(),
                                   alone.detach().numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(h_n[:, i].detach().numpy(),
                                   _flat(h_alone)[0].detach().numpy(), rtol=1e-5, atol=1e-6)
        assert int(lens[i]) == lengths[i]


# ---------------------------------------------------------------------------------------
# cells
# ---------------------------------------------------------------------------------------
CELLS = [
    ('rnn_cell', 'RNNCell', {}, (3, 4), True),
    ('rnn_cell_relu', 'RNNCell', dict(nonlinearity='relu', bias=False), (3, 4), True),
    ('rnn_cell_no_hx', 'RNNCell', {}, (3, 4), False),
    ('rnn_cell_unbatched', 'RNNCell', {}, (4,), True),
    ('lstm_cell', 'LSTMCell', {}, (3, 4), True),
    ('lstm_cell_no_hx', 'LSTMCell', dict(bias=False), (3, 4), False),
    ('lstm_cell_unbatched', 'LSTMCell', {}, (4,), True),
    ('gru_cell', 'GRUCell', {}, (3, 4), True),
    ('gru_cell_no_hx', 'GRUCell', {}, (3, 4), False),
    ('gru_cell_unbatched', 'GRUCell', dict(bias=False), (4,), True),
]


@requires_torch
@pytest.mark.parametrize('case', CELLS, ids=[c[0] for c in CELLS])
def test_cell_matches_pytorch(case):
    _, name, kwargs, shape, with_state = case

    def snippet(lib):
        m = _module(lib, name, 4, 6, **kwargs)
        x = lib.tensor(_values(shape, 1), requires_grad=True)
        hshape = shape[:-1] + (6,)
        hx = None
        if with_state:
            hx = lib.tensor(_values(hshape, 2), requires_grad=True)
            if name == 'LSTMCell':
                hx = (hx, lib.tensor(_values(hshape, 3), requires_grad=True))
        out = m(x, hx)
        outs = _flat(out)
        # Two steps: the state feeds back.
        out2 = _flat(m(x * 0.5, out))
        _cotangent_loss(lib, outs + out2).backward()
        grads = [x.grad] + ([t.grad for t in _flat(hx)] if hx is not None else [])
        return [o.detach() for o in outs + out2] + grads + \
            [p.grad for p in m.parameters()] + [repr(m)]
    check(snippet, **TOL)


@requires_torch
def test_cell_grad_fn_names():
    def snippet(lib):
        x = lib.ones(2, 3, requires_grad=True)
        names = []
        for m in (lib.nn.RNNCell(3, 4), lib.nn.RNNCell(3, 4, nonlinearity='relu'),
                  lib.nn.GRUCell(3, 4)):
            names.append(m(x).grad_fn.name())
        names.append(lib.nn.LSTMCell(3, 4)(x)[0].grad_fn.name())
        return names
    check(snippet)


# ---------------------------------------------------------------------------------------
# by hand
# ---------------------------------------------------------------------------------------
def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def test_lstm_by_hand():
    m = ember.nn.LSTM(2, 3).double()
    rng = np.random.default_rng(5)
    params = {n: rng.standard_normal(tuple(p.shape)) for n, p in m.named_parameters()}
    m.load_state_dict({n: ember.tensor(v) for n, v in params.items()})
    x = rng.standard_normal((4, 1, 2))
    out, (h_n, c_n) = m(ember.tensor(x))
    h = np.zeros(3)
    c = np.zeros(3)
    expected = []
    for t in range(4):
        z = params['weight_ih_l0'] @ x[t, 0] + params['bias_ih_l0'] + \
            params['weight_hh_l0'] @ h + params['bias_hh_l0']
        i, f, g, o = _sigmoid(z[:3]), _sigmoid(z[3:6]), np.tanh(z[6:9]), _sigmoid(z[9:])
        c = f * c + i * g
        h = o * np.tanh(c)
        expected.append(h)
    np.testing.assert_allclose(out.detach().numpy()[:, 0], np.array(expected), rtol=1e-12)
    np.testing.assert_allclose(h_n.detach().numpy()[0, 0], h, rtol=1e-12)
    np.testing.assert_allclose(c_n.detach().numpy()[0, 0], c, rtol=1e-12)


def test_gru_by_hand():
    m = ember.nn.GRU(2, 3, batch_first=True).double()
    rng = np.random.default_rng(6)
    params = {n: rng.standard_normal(tuple(p.shape)) for n, p in m.named_parameters()}
    m.load_state_dict({n: ember.tensor(v) for n, v in params.items()})
    x = rng.standard_normal((1, 3, 2))
    h = rng.standard_normal(3)
    out, h_n = m(ember.tensor(x), ember.tensor(h.reshape(1, 1, 3)))
    for t in range(3):
        gx = params['weight_ih_l0'] @ x[0, t] + params['bias_ih_l0']
        gh = params['weight_hh_l0'] @ h + params['bias_hh_l0']
        r = _sigmoid(gx[:3] + gh[:3])
        z = _sigmoid(gx[3:6] + gh[3:6])
        n = np.tanh(gx[6:] + r * gh[6:])
        h = (1 - z) * n + z * h
        np.testing.assert_allclose(out.detach().numpy()[0, t], h, rtol=1e-12)
    np.testing.assert_allclose(h_n.detach().numpy()[0, 0], h, rtol=1e-12)


def test_rnn_relu_reverse_direction_by_hand():
    m = ember.nn.RNN(1, 1, nonlinearity='relu', bidirectional=True, bias=False).double()
    m.load_state_dict({'weight_ih_l0': ember.tensor([[1.0]]), 'weight_hh_l0': ember.tensor([[2.0]]),
                       'weight_ih_l0_reverse': ember.tensor([[1.0]]),
                       'weight_hh_l0_reverse': ember.tensor([[0.5]])})
    out, h_n = m(ember.tensor([[[1.0]], [[-3.0]], [[2.0]]], dtype=ember.float64))
    # forward: 1, relu(-3 + 2) = 0, 2 ; reverse (from the end): 2, relu(-3 + 1) = 0, 1
    assert out[:, 0, 0].tolist() == [1.0, 0.0, 2.0]
    assert out[:, 0, 1].tolist() == [1.0, 0.0, 2.0]
    assert h_n[:, 0, 0].tolist() == [2.0, 1.0]


# ---------------------------------------------------------------------------------------
# finite differences (float64)
# ---------------------------------------------------------------------------------------
GRADCHECK = [
    ('LSTM', {}), ('LSTM', dict(proj_size=2, bidirectional=True)),
    ('LSTM', dict(num_layers=2, batch_first=True)), ('GRU', dict(bidirectional=True)),
    ('GRU', dict(bias=False)), ('RNN', {}), ('RNN', dict(nonlinearity='relu', num_layers=2)),
]


def _functional_layer(name, kwargs, T=3, B=2, H=3):
    """The layer as a function of (x, h0[, c0], *parameters)."""
    ember.manual_seed(0)
    m = getattr(ember.nn, name)(2, H, **kwargs).double()
    names = [n for n, _ in m.named_parameters()]
    params = [p.detach().requires_grad_() for p in m.parameters()]
    n_states = 2 if name == 'LSTM' else 1

    def fn(x, *rest):
        states, ps = rest[:n_states], rest[n_states:]
        for n, p in zip(names, ps):
            m._parameters[n] = p
        out, hidden = m(x, states if name == 'LSTM' else states[0])
        return (out,) + tuple(_flat(hidden))
    D = 2 if kwargs.get('bidirectional') else 1
    L = kwargs.get('num_layers', 1)
    P = kwargs.get('proj_size', 0) or H
    shape = (B, T, 2) if kwargs.get('batch_first') else (T, B, 2)
    x = ember.randn(*shape, dtype=ember.float64, requires_grad=True)
    states = [ember.randn(L * D, B, P, dtype=ember.float64, requires_grad=True)]
    if name == 'LSTM':
        states.append(ember.randn(L * D, B, H, dtype=ember.float64, requires_grad=True))
    return fn, (x, *states, *params)


@pytest.mark.parametrize('name,kwargs', GRADCHECK)
def test_gradcheck(name, kwargs):
    fn, inputs = _functional_layer(name, kwargs)
    assert gradcheck(fn, inputs)


@pytest.mark.parametrize('name,kwargs', [('LSTM', {}), ('GRU', {}), ('RNN', {})])
def test_gradgradcheck(name, kwargs):
    fn, inputs = _functional_layer(name, kwargs, T=2, B=1, H=2)
    assert gradgradcheck(fn, inputs)


@pytest.mark.parametrize('kwargs', [{}, dict(proj_size=2, num_layers=2)])
def test_gradcheck_packed(kwargs):
    # Shrinking batches take the LSTM kernel's packed path (a full state updated in its
    # first columns); equal lengths take the padded one, which chains the step blocks.
    ember.manual_seed(0)
    m = ember.nn.LSTM(2, 3, bidirectional=True, **kwargs).double()
    x = ember.randn(4, 3, 2, dtype=ember.float64, requires_grad=True)
    R = ember.nn.utils.rnn

    def fn(x):
        out, (h, c) = m(R.pack_padded_sequence(x, [3, 4, 1], enforce_sorted=False))
        return R.pad_packed_sequence(out)[0], h, c
    assert gradcheck(fn, (x,))


@pytest.mark.parametrize('name', ['RNNCell', 'LSTMCell', 'GRUCell'])
def test_gradcheck_cells(name):
    ember.manual_seed(0)
    m = getattr(ember.nn, name)(2, 3).double()
    x = ember.randn(2, 2, dtype=ember.float64, requires_grad=True)
    h = ember.randn(2, 3, dtype=ember.float64, requires_grad=True)
    c = ember.randn(2, 3, dtype=ember.float64, requires_grad=True)
    if name == 'LSTMCell':
        assert gradcheck(lambda x, h, c: m(x, (h, c)), (x, h, c))
        assert gradgradcheck(lambda x, h, c: m(x, (h, c)), (x, h, c))
    else:
        assert gradcheck(lambda x, h: m(x, h), (x, h))


def test_backward_sees_in_place_edit_of_weights():
    m = ember.nn.GRU(2, 3)
    out, _ = m(ember.randn(3, 1, 2))
    with ember.no_grad():
        m.weight_hh_l0.mul_(2)
    with pytest.raises(RuntimeError, match='modified by an inplace operation'):
        out.sum().backward()


def test_empty_batch():
    out, (h, c) = ember.nn.LSTM(4, 6, num_layers=2)(ember.ones(3, 0, 4, requires_grad=True))
    assert tuple(out.shape) == (3, 0, 6) and tuple(h.shape) == (2, 0, 6)
    assert out.grad_fn.name() == 'StackBackward0'


def test_no_grad_forward_records_nothing():
    m = ember.nn.LSTM(2, 3)
    with ember.no_grad():
        out, (h, c) = m(ember.randn(3, 1, 2))
    assert out.grad_fn is None and not out.requires_grad and h.grad_fn is None


def test_module_conversion_keeps_working():
    m = ember.nn.LSTM(2, 3, num_layers=2).double()
    out, _ = m(ember.randn(3, 1, 2, dtype=ember.float64))
    assert out.dtype == ember.float64
    assert m._flat_weights[0] is m.weight_ih_l0
    m.flatten_parameters()


# ---------------------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------------------
ERRORS = [
    ('lstm_input_size', lambda lib: lib.nn.LSTM(3, 4)(lib.ones(5, 2, 5))),
    ('lstm_4d', lambda lib: lib.nn.LSTM(3, 4)(lib.ones(5, 2, 3, 1))),
    ('lstm_1d', lambda lib: lib.nn.LSTM(3, 4)(lib.ones(3))),
    ('gru_4d', lambda lib: lib.nn.GRU(3, 4)(lib.ones(5, 2, 3, 1))),
    ('rnn_4d', lambda lib: lib.nn.RNN(3, 4)(lib.ones(5, 2, 3, 1))),
    ('lstm_dtype', lambda lib: lib.nn.LSTM(3, 4)(lib.ones(5, 2, 3, dtype=lib.float64))),
    ('lstm_h_size', lambda lib: lib.nn.LSTM(3, 4)(lib.ones(5, 2, 3),
                                                  (lib.ones(1, 3, 4), lib.ones(1, 3, 4)))),
    ('lstm_c_size', lambda lib: lib.nn.LSTM(3, 4)(lib.ones(5, 2, 3),
                                                  (lib.ones(1, 2, 4), lib.ones(1, 2, 5)))),
    ('lstm_batched_hx_2d', lambda lib: lib.nn.LSTM(3, 4)(lib.ones(5, 2, 3),
                                                         (lib.ones(2, 4), lib.ones(2, 4)))),
    ('lstm_unbatched_hx_3d', lambda lib: lib.nn.LSTM(3, 4)(lib.ones(5, 3),
                                                           (lib.ones(1, 1, 4),
                                                            lib.ones(1, 1, 4)))),
    ('gru_hx_size', lambda lib: lib.nn.GRU(3, 4, num_layers=2)(lib.ones(5, 2, 3),
                                                               lib.ones(1, 2, 4))),
    ('gru_unbatched_hx_3d', lambda lib: lib.nn.GRU(3, 4)(lib.ones(5, 3), lib.ones(1, 1, 4))),
    ('rnn_batched_hx_2d', lambda lib: lib.nn.RNN(3, 4)(lib.ones(5, 2, 3), lib.ones(2, 4))),
    ('empty_sequence', lambda lib: lib.nn.GRU(3, 4)(lib.ones(0, 2, 3))),
    ('bad_dropout', lambda lib: lib.nn.LSTM(3, 4, dropout=1.5)),
    ('bool_dropout', lambda lib: lib.nn.LSTM(3, 4, dropout=True)),
    ('bad_hidden', lambda lib: lib.nn.GRU(3, 0)),
    ('float_hidden', lambda lib: lib.nn.GRU(3, 4.0)),
    ('bad_input_size', lambda lib: lib.nn.GRU(0, 4)),
    ('bad_layers', lambda lib: lib.nn.RNN(3, 4, num_layers=0)),
    ('bad_proj', lambda lib: lib.nn.LSTM(3, 4, proj_size=4)),
    ('negative_proj', lambda lib: lib.nn.LSTM(3, 4, proj_size=-1)),
    ('gru_proj', lambda lib: lib.nn.GRU(3, 4, proj_size=2)),
    ('rnn_nonlinearity', lambda lib: lib.nn.RNN(3, 4, nonlinearity='gelu')),
    ('bias_type', lambda lib: lib.nn.LSTM(3, 4, bias=1)),
    ('cell_input_size', lambda lib: lib.nn.LSTMCell(3, 4)(lib.ones(2, 5))),
    ('cell_batch', lambda lib: lib.nn.GRUCell(3, 4)(lib.ones(2, 3), lib.ones(3, 4))),
    ('cell_hidden', lambda lib: lib.nn.LSTMCell(3, 4)(lib.ones(2, 3),
                                                      (lib.ones(2, 5), lib.ones(2, 4)))),
    ('cell_cell', lambda lib: lib.nn.LSTMCell(3, 4)(lib.ones(2, 3),
                                                    (lib.ones(2, 4), lib.ones(2, 5)))),
    ('cell_3d', lambda lib: lib.nn.LSTMCell(3, 4)(lib.ones(2, 2, 3))),
    ('rnn_cell_3d_hx', lambda lib: lib.nn.RNNCell(3, 4)(lib.ones(2, 3), lib.ones(1, 2, 4))),
    ('cell_dtype', lambda lib: lib.nn.GRUCell(3, 4)(lib.ones(2, 3, dtype=lib.float64))),
    ('cell_nonlinearity', lambda lib: lib.nn.RNNCell(3, 4, nonlinearity='foo')(lib.ones(2, 3))),
]


@requires_torch
@pytest.mark.parametrize('case', ERRORS, ids=[c[0] for c in ERRORS])
def test_errors_match_pytorch(case):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        check(case[1], match_message=True)


def test_dropout_warning_for_one_layer():
    with pytest.warns(UserWarning, match='non-zero dropout expects num_layers greater than 1'):
        ember.nn.GRU(3, 4, dropout=0.2)


# ---------------------------------------------------------------------------------------
# nn.utils.rnn
# ---------------------------------------------------------------------------------------
def _seqs(lib, lengths, requires_grad=False):
    return [lib.tensor(_values((n, 2), i), requires_grad=requires_grad)
            for i, n in enumerate(lengths)]


UTILS = [
    ('pad_sequence', lambda lib, R: R.pad_sequence(_seqs(lib, [3, 1, 2], True))),
    ('pad_sequence_batch_first', lambda lib, R: R.pad_sequence(
        _seqs(lib, [3, 1, 2], True), batch_first=True, padding_value=-1.0)),
    ('pad_sequence_left', lambda lib, R: R.pad_sequence(_seqs(lib, [1, 3]),
                                                        padding_side='left')),
    ('pad_sequence_tensor', lambda lib, R: R.pad_sequence(lib.ones(2, 3))),
    ('pad_sequence_1d', lambda lib, R: R.pad_sequence([lib.ones(3), lib.ones(1)])),
    ('pad_sequence_int', lambda lib, R: R.pad_sequence([lib.arange(3), lib.arange(2)],
                                                       padding_value=7)),
    ('pack_padded', lambda lib, R: tuple(R.pack_padded_sequence(
        lib.tensor(_values((4, 3, 2), 0), requires_grad=True), [4, 2, 1]))),
    ('pack_padded_tensor_lengths', lambda lib, R: tuple(R.pack_padded_sequence(
        lib.tensor(_values((3, 4, 2), 0)), lib.tensor([4, 2, 2]), batch_first=True))),
    ('pack_unsorted', lambda lib, R: tuple(R.pack_padded_sequence(
        lib.tensor(_values((4, 3, 2), 0)), [2, 4, 1], enforce_sorted=False))),
    ('pack_repr', lambda lib, R: repr(R.pack_padded_sequence(
        lib.tensor(_values((2, 2, 1), 0)), [2, 1]))),
    ('pad_packed', lambda lib, R: R.pad_packed_sequence(R.pack_padded_sequence(
        lib.tensor(_values((4, 3, 2), 0), requires_grad=True), [2, 4, 1],
        enforce_sorted=False))),
    ('pad_packed_total_length', lambda lib, R: R.pad_packed_sequence(R.pack_padded_sequence(
        lib.tensor(_values((4, 3, 2), 0), requires_grad=True), [4, 2, 1]), total_length=6,
        padding_value=9.0)),
    ('pad_packed_batch_first', lambda lib, R: R.pad_packed_sequence(R.pack_padded_sequence(
        lib.tensor(_values((3, 4, 2), 0), requires_grad=True), [4, 2, 1], batch_first=True),
        batch_first=True)),
    ('pack_sequence', lambda lib, R: tuple(R.pack_sequence(_seqs(lib, [3, 2, 2])))),
    ('pack_sequence_unsorted', lambda lib, R: tuple(R.pack_sequence(_seqs(lib, [1, 3, 2]),
                                                                    enforce_sorted=False))),
    ('unpack_sequence', lambda lib, R: R.unpack_sequence(
        R.pack_sequence(_seqs(lib, [1, 3, 2]), enforce_sorted=False))),
    ('unpad_sequence', lambda lib, R: R.unpad_sequence(
        R.pad_sequence(_seqs(lib, [3, 1, 2])), lib.tensor([3, 1, 2]))),
    ('unpad_sequence_batch_first', lambda lib, R: R.unpad_sequence(
        R.pad_sequence(_seqs(lib, [3, 1]), batch_first=True), lib.tensor([3, 1]),
        batch_first=True)),
    ('invert_permutation', lambda lib, R: R.invert_permutation(lib.tensor([2, 0, 3, 1]))),
    ('packed_to_double', lambda lib, R: tuple(R.pack_sequence(
        _seqs(lib, [2, 1]), enforce_sorted=False).double())),
    ('packed_namedtuple', lambda lib, R: R.PackedSequence(lib.ones(3, 2), lib.tensor([2, 1]))
     ._fields),
    ('packed_from_pair', lambda lib, R: tuple(R.PackedSequence((lib.ones(3), lib.tensor([2, 1])),
                                                               sorted_indices=lib.tensor([1, 0])))),
    # errors
    ('pack_not_sorted', lambda lib, R: R.pack_padded_sequence(lib.ones(4, 3, 2), [4, 1, 2])),
    ('pack_zero_length', lambda lib, R: R.pack_padded_sequence(lib.ones(4, 3, 2), [4, 2, 0])),
    ('pack_wrong_batch', lambda lib, R: R.pack_padded_sequence(lib.ones(4, 3, 2), [4, 2])),
    ('pad_packed_short_total', lambda lib, R: R.pad_packed_sequence(
        R.pack_padded_sequence(lib.ones(4, 3, 2), [4, 2, 1]), total_length=2)),
    ('pad_sequence_empty', lambda lib, R: R.pad_sequence([])),
    ('pad_sequence_mismatch', lambda lib, R: R.pad_sequence([lib.ones(2, 3), lib.ones(1, 2)])),
    ('pad_sequence_side', lambda lib, R: R.pad_sequence([lib.ones(2)], padding_side='middle')),
]


@requires_torch
@pytest.mark.parametrize('case', UTILS, ids=[c[0] for c in UTILS])
def test_rnn_utils_match_pytorch(case):
    check(lambda lib: case[1](lib, lib.nn.utils.rnn), match_message=True)


@requires_torch
def test_pack_pad_gradients_match_pytorch():
    def snippet(lib):
        R = lib.nn.utils.rnn
        x = lib.tensor(_values((3, 4, 2), 0), requires_grad=True)
        packed = R.pack_padded_sequence(x, [2, 4, 1, 3], batch_first=True,
                                        enforce_sorted=False)
        padded, _ = R.pad_packed_sequence(packed, total_length=5)
        _cotangent_loss(lib, [padded, packed.data]).backward()
        return x.grad
    check(snippet)


def test_pack_pad_gradcheck():
    x = ember.randn(4, 3, 2, dtype=ember.float64, requires_grad=True)
    R = ember.nn.utils.rnn

    def fn(x):
        packed = R.pack_padded_sequence(x, [4, 2, 1])
        return packed.data, R.pad_packed_sequence(packed, padding_value=3.0)[0]
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


def test_packed_sequence_is_a_tuple_of_four():
    p = ember.nn.utils.rnn.pack_sequence([ember.ones(2, 1), ember.ones(1, 1)])
    data, batch_sizes, sorted_indices, unsorted_indices = p
    assert batch_sizes.tolist() == [2, 1] and sorted_indices is None
    assert p.to(ember.float64).data.dtype == ember.float64
    assert p.to(ember.float32) is p
    assert not p.is_cuda


def test_replaced_weight_is_used_like_pytorch():
    # Weight drop / weight norm replace a parameter by a plain tensor after deleting it.
    def run(torch):
        torch.manual_seed(0)
        m = torch.nn.LSTM(3, 4)
        w = m.weight_hh_l0.detach() * 0.5
        del m.weight_hh_l0
        m.weight_hh_l0 = w
        out, _ = m(torch.ones(2, 1, 3))
        return out
    check(run)
