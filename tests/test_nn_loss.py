"""Losses and distances: nn.functional forms and layers against PyTorch (values, dtypes,
grad_fn, gradients, reprs, errors), float64 gradcheck, and values by hand."""
import math
import warnings

import numpy as np
import pytest

import ember
import ember.nn.functional as EF
from ember.autograd import gradcheck, gradgradcheck
from oracle import check, requires_torch

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

_rng = np.random.default_rng(0)
X = _rng.standard_normal((4, 5)).astype(np.float32)
Y = _rng.standard_normal((4, 5)).astype(np.float32)
P = (_rng.random((4, 5)) * 0.98 + 0.01).astype(np.float32)
SIGN = np.where(_rng.standard_normal((4, 5)) > 0, 1.0, -1.0).astype(np.float32)
T = np.array([0, 3, 4, 1])
W5 = np.array([1.0, 2.0, 0.5, 4.0, 3.0], dtype=np.float32)
X4 = _rng.standard_normal((2, 3, 2, 2)).astype(np.float32)
T4 = np.array([[[0, 1], [2, 2]], [[1, 0], [0, 2]]])
MLML = np.array([[3, 0, -1, 1, 1], [1, 2, 3, 4, 0], [-1, 2, 3, 0, 0], [4, -1, 0, 0, 0]])


def F(lib):
    return lib.nn.functional


def t(lib, data, dtype='float32', grad=False):
    return lib.tensor(np.asarray(data), dtype=getattr(lib, dtype), requires_grad=grad)


def i64(lib, data):
    return lib.tensor(np.asarray(data), dtype=lib.int64)


# ---------------------------------------------------------------------------------------
# one row per (loss, options): forward value, dtype, shape, grad_fn, and both gradients
# ---------------------------------------------------------------------------------------
def with_grads(fn, dtype='float32'):
    """Run ``fn(L, x, y)`` on two leaves; return the loss and both gradients."""
    def run(L):
        x, y = t(L, X, dtype, grad=True), t(L, Y, dtype, grad=True)
        out = fn(L, x, y)
        if out.requires_grad:
            g = L.tensor(np.linspace(0.5, 1.5, out.numel()).reshape(tuple(out.shape)),
                         dtype=out.dtype)
            out.backward(g)
        return out, x.grad, y.grad
    return run


LOSSES = []
for _red in ('mean', 'sum', 'none'):
    LOSSES += [
        (f'mse-{_red}', lambda L, x, y, r=_red: F(L).mse_loss(x, y, reduction=r)),
        (f'l1-{_red}', lambda L, x, y, r=_red: F(L).l1_loss(x, y, reduction=r)),
        (f'smooth_l1-{_red}', lambda L, x, y, r=_red: F(L).smooth_l1_loss(x, y, reduction=r,
                                                                           beta=0.5)),
        (f'huber-{_red}', lambda L, x, y, r=_red: F(L).huber_loss(x, y, reduction=r,
                                                                   delta=0.7)),
        (f'ce-{_red}', lambda L, x, y, r=_red: F(L).cross_entropy(x, i64(L, T), reduction=r)),
        (f'ce-weight-{_red}', lambda L, x, y, r=_red: F(L).cross_entropy(
            x, i64(L, T), t(L, W5), reduction=r)),
        (f'ce-ignore-{_red}', lambda L, x, y, r=_red: F(L).cross_entropy(
            x, i64(L, [0, -100, 4, 1]), reduction=r)),
        (f'ce-ignore-weight-{_red}', lambda L, x, y, r=_red: F(L).cross_entropy(
            x, i64(L, [0, 2, 4, 2]), t(L, W5), ignore_index=2, reduction=r)),
        (f'ce-smooth-{_red}', lambda L, x, y, r=_red: F(L).cross_entropy(
            x, i64(L, [0, -100, 4, 1]), reduction=r, label_smoothing=0.2)),
        (f'ce-smooth-weight-{_red}', lambda L, x, y, r=_red: F(L).cross_entropy(
            x, i64(L, [0, -100, 4, 1]), t(L, W5), reduction=r, label_smoothing=0.2)),
        (f'ce-probs-{_red}', lambda L, x, y, r=_red: F(L).cross_entropy(
            x, y.softmax(1), reduction=r)),
        (f'ce-probs-weight-smooth-{_red}', lambda L, x, y, r=_red: F(L).cross_entropy(
            x, y.softmax(1), t(L, W5), reduction=r, label_smoothing=0.3)),
        (f'ce-4d-{_red}', lambda L, x, y, r=_red: F(L).cross_entropy(
            x.view(2, 2, 5)[:, None].expand(2, 3, 2, 5) * 1.0, i64(L, [[[0, 1, 2, 0, 1],
                                                                        [2, 2, 1, 0, 0]]] * 2),
            reduction=r)),
        (f'ce-3d-{_red}', lambda L, x, y, r=_red: F(L).cross_entropy(
            x.view(2, 2, 5), i64(L, [[0, 1, 1, 0, 1], [1, 1, 0, 0, 0]]), reduction=r)),
        (f'ce-5d-{_red}', lambda L, x, y, r=_red: F(L).cross_entropy(
            x.view(1, 2, 2, 5, 1), i64(L, [[[[0], [1], [1], [0], [1]],
                                            [[1], [1], [0], [0], [0]]]]), reduction=r)),
        (f'ce-1d-{_red}', lambda L, x, y, r=_red: F(L).cross_entropy(x[0], i64(L, 3),
                                                                      reduction=r)),
        (f'nll-{_red}', lambda L, x, y, r=_red: F(L).nll_loss(x, i64(L, T), reduction=r)),
        (f'nll-weight-ignore-{_red}', lambda L, x, y, r=_red: F(L).nll_loss(
            x, i64(L, [0, 3, -1, 1]), t(L, W5), ignore_index=-1, reduction=r)),
        (f'nll-2d-{_red}', lambda L, x, y, r=_red: F(L).nll_loss(
            x.view(2, 5, 2, 1), i64(L, [[[0], [4]], [[3], [1]]]), reduction=r)),
        (f'bce-{_red}', lambda L, x, y, r=_red: F(L).binary_cross_entropy(
            x.sigmoid(), y.sigmoid(), reduction=r)),
        (f'bce-weight-{_red}', lambda L, x, y, r=_red: F(L).binary_cross_entropy(
            x.sigmoid(), y.sigmoid(), t(L, W5), reduction=r)),
        (f'bce-logits-{_red}', lambda L, x, y, r=_red: F(L).binary_cross_entropy_with_logits(
            x, y.sigmoid(), reduction=r)),
        (f'bce-logits-pos-{_red}', lambda L, x, y, r=_red:
            F(L).binary_cross_entropy_with_logits(x, y.sigmoid(), t(L, W5), reduction=r,
                                                  pos_weight=t(L, W5[::-1].copy()))),
        (f'kl-{_red}', lambda L, x, y, r=_red: F(L).kl_div(x.log_softmax(1), y.softmax(1),
                                                           reduction=r)),
        (f'kl-log-target-{_red}', lambda L, x, y, r=_red: F(L).kl_div(
            x.log_softmax(1), y.log_softmax(1), reduction=r, log_target=True)),
        (f'poisson-{_red}', lambda L, x, y, r=_red: F(L).poisson_nll_loss(x, y.abs() * 3,
                                                                           reduction=r)),
        (f'poisson-full-{_red}', lambda L, x, y, r=_red: F(L).poisson_nll_loss(
            x.exp(), y.abs() * 3, log_input=False, full=True, reduction=r)),
        (f'gaussian-{_red}', lambda L, x, y, r=_red: F(L).gaussian_nll_loss(
            x, y, x.detach().abs() + 0.1, reduction=r)),
        (f'gaussian-full-homo-{_red}', lambda L, x, y, r=_red: F(L).gaussian_nll_loss(
            x, y, y.abs()[:, :1] + 0.1, full=True, reduction=r)),
        (f'margin-ranking-{_red}', lambda L, x, y, r=_red: F(L).margin_ranking_loss(
            x, y, t(L, SIGN), margin=0.1, reduction=r)),
        (f'hinge-{_red}', lambda L, x, y, r=_red: F(L).hinge_embedding_loss(
            x, t(L, SIGN), margin=0.5, reduction=r)),
        (f'triplet-{_red}', lambda L, x, y, r=_red: F(L).triplet_margin_loss(
            x, y, x * 2 - y, reduction=r)),
        (f'triplet-swap-p1-{_red}', lambda L, x, y, r=_red: F(L).triplet_margin_loss(
            x, y, x * 0.5, p=1, swap=True, margin=2.0, reduction=r)),
        (f'triplet-distance-{_red}', lambda L, x, y, r=_red:
            F(L).triplet_margin_with_distance_loss(x, y, x * 2, swap=True, reduction=r)),
        (f'cosine-embedding-{_red}', lambda L, x, y, r=_red: F(L).cosine_embedding_loss(
            x, y, t(L, [1.0, -1.0, 1.0, -1.0]), margin=0.1, reduction=r)),
        (f'multilabel-soft-{_red}', lambda L, x, y, r=_red: F(L).multilabel_soft_margin_loss(
            x, t(L, (P > 0.5) * 1.0), t(L, W5), reduction=r)),
        (f'multi-margin-{_red}', lambda L, x, y, r=_red: F(L).multi_margin_loss(
            x, i64(L, T), reduction=r)),
        (f'multi-margin-p2-{_red}', lambda L, x, y, r=_red: F(L).multi_margin_loss(
            x, i64(L, T), p=2, margin=0.5, weight=t(L, W5), reduction=r)),
        (f'soft-margin-{_red}', lambda L, x, y, r=_red: F(L).soft_margin_loss(
            x, t(L, SIGN), reduction=r)),
        (f'multilabel-margin-{_red}', lambda L, x, y, r=_red: F(L).multilabel_margin_loss(
            x, i64(L, MLML), reduction=r)),
    ]

LOSSES += [
    ('mse-broadcast', lambda L, x, y: F(L).mse_loss(x, y[0])),
    ('mse-f64-target', lambda L, x, y: F(L).mse_loss(x, y.double())),
    ('mse-weight', lambda L, x, y: F(L).mse_loss(x, y, weight=t(L, P))),
    ('mse-0d', lambda L, x, y: F(L).mse_loss(x[0, 0], y[0, 0])),
    ('mse-transposed', lambda L, x, y: F(L).mse_loss(x.t(), y.t(), reduction='none')),
    ('l1-weight', lambda L, x, y: F(L).l1_loss(x, y, weight=t(L, P), reduction='sum')),
    ('huber-weight', lambda L, x, y: F(L).huber_loss(x, y, weight=t(L, P))),
    ('smooth_l1-beta0', lambda L, x, y: F(L).smooth_l1_loss(x, y, beta=0.0)),
    ('smooth_l1-f64', lambda L, x, y: F(L).smooth_l1_loss(x.double(), y)),
    ('bce-logits-target-f64', lambda L, x, y: F(L).binary_cross_entropy_with_logits(
        x, y.double().sigmoid())),
    ('bce-logits-broadcast-weight', lambda L, x, y: F(L).binary_cross_entropy_with_logits(
        x, y.sigmoid(), t(L, W5[:1]))),
    ('bce-clamp', lambda L, x, y: F(L).binary_cross_entropy(
        x.sigmoid() * t(L, (P > 0.5) * 1.0), y.sigmoid())),
    ('kl-batchmean', lambda L, x, y: F(L).kl_div(x.log_softmax(1), y.softmax(1),
                                                 reduction='batchmean')),
    ('kl-zero-target', lambda L, x, y: F(L).kl_div(x.log_softmax(1), y.softmax(1) * t(
        L, P > 0.5), reduction='sum')),
    ('ce-f64', lambda L, x, y: F(L).cross_entropy(x.double(), i64(L, T))),
    ('ce-uint8-target', lambda L, x, y: F(L).cross_entropy(x, L.tensor(T, dtype=L.uint8))),
    ('ce-all-ignored', lambda L, x, y: F(L).cross_entropy(x, i64(L, [-100] * 4))),
    ('ce-empty', lambda L, x, y: F(L).cross_entropy(x[:0], i64(L, np.zeros(0, np.int64)),
                                                    reduction='sum')),
    ('ce-transposed', lambda L, x, y: F(L).cross_entropy(x.t(), i64(L, [0, 1, 2, 3, 0]))),
    ('cosine-embedding-0d', lambda L, x, y: F(L).cosine_embedding_loss(x[0], y[0],
                                                                       t(L, -1.0))),
    ('multi-margin-1d', lambda L, x, y: F(L).multi_margin_loss(x[0], i64(L, 2),
                                                               reduction='none')),
    ('multilabel-margin-1d', lambda L, x, y: F(L).multilabel_margin_loss(
        x[0], i64(L, MLML[0]), reduction='none')),
    ('legacy-size-average', lambda L, x, y: F(L).mse_loss(x, y, size_average=False)),
    ('legacy-reduce', lambda L, x, y: F(L).l1_loss(x, y, reduce=False)),
]


@requires_torch
@pytest.mark.parametrize('name,fn', LOSSES, ids=[r[0] for r in LOSSES])
def test_loss_matches_torch(name, fn):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        check(with_grads(fn), rtol=1e-5, atol=1e-6, check_repr=False)


@requires_torch
@pytest.mark.parametrize('name,fn', [r for r in LOSSES if r[0].endswith('mean')],
                         ids=[r[0] for r in LOSSES if r[0].endswith('mean')])
def test_loss_float64_matches_torch(name, fn):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        check(with_grads(fn, 'float64'), rtol=1e-10, atol=1e-12, check_repr=False)


@requires_torch
@pytest.mark.parametrize('loss', ['nll_loss', 'cross_entropy'])
@pytest.mark.parametrize('reduction', ['mean', 'sum', 'none'])
def test_one_unbatched_sample_with_a_one_element_target(loss, reduction):
    # input (C,) with target [c] is the 0-d target case (a single-sample training loop:
    # criterion(model(x), torch.tensor([y]))). PyTorch computes this forward, but its
    # backward then raises a size mismatch; ember's backward gives the 0-d target's gradient.
    check(lambda L: getattr(F(L), loss)(t(L, X[0]), i64(L, [2]), reduction=reduction),
          rtol=1e-6)
    x = ember.tensor(X[0], requires_grad=True)
    getattr(ember.nn.functional, loss)(x, ember.tensor([2]), reduction=reduction).backward()
    expected = ember.tensor(X[0], requires_grad=True)
    getattr(ember.nn.functional, loss)(expected, ember.tensor(2),
                                       reduction=reduction).backward()
    assert ember.equal(x.grad, expected.grad)


@requires_torch
def test_batch_with_a_0d_target_is_a_batch_size_error():
    check(lambda L: F(L).cross_entropy(t(L, X[:1]), i64(L, 1)), match_message=True)
    check(lambda L: F(L).nll_loss(t(L, X), i64(L, 1)), match_message=True)


@requires_torch
def test_cross_entropy_graph_is_log_softmax_then_nll():
    def graph(L):
        x = t(L, X, grad=True)
        loss = F(L).cross_entropy(x, i64(L, T))
        first = loss.grad_fn
        second = first.next_functions[0][0]
        return (first.name(), len(first.next_functions), second.name(),
                type(second.next_functions[0][0]).__name__.replace('torch::autograd::', ''))
    check(graph)


ERRORS = [
    ('bce-weight-requires-grad', lambda L: F(L).binary_cross_entropy(
        L.rand(3), L.rand(3), weight=L.rand(3, requires_grad=True))),
    ('bce-logits-weight-requires-grad', lambda L: F(L).binary_cross_entropy_with_logits(
        L.rand(3), L.rand(3), weight=L.rand(3, requires_grad=True))),
    ('bce-logits-pos-weight-requires-grad', lambda L: F(L).binary_cross_entropy_with_logits(
        L.rand(3), L.rand(3), pos_weight=L.rand(3, requires_grad=True))),
    ('ce-target-out-of-bounds', lambda L: F(L).cross_entropy(t(L, X), i64(L, [0, 1, 5, 2]))),
    ('ce-negative-target', lambda L: F(L).cross_entropy(t(L, X), i64(L, [0, 1, -1, 2]))),
    ('ce-batch-mismatch', lambda L: F(L).cross_entropy(t(L, X), i64(L, [0, 1, 2]))),
    ('ce-float-indices', lambda L: F(L).cross_entropy(t(L, X), t(L, [0.0, 1, 2, 1]))),
    ('ce-int32-target', lambda L: F(L).cross_entropy(t(L, X), L.tensor([0, 1, 2, 1],
                                                                       dtype=L.int32))),
    ('ce-long-probs', lambda L: F(L).cross_entropy(t(L, X), i64(L, np.zeros((4, 5),
                                                                            np.int64)))),
    ('ce-probs-ignore', lambda L: F(L).cross_entropy(t(L, X), t(L, P), ignore_index=1)),
    ('ce-smoothing>1', lambda L: F(L).cross_entropy(t(L, X), i64(L, T), label_smoothing=1.5)),
    ('ce-probs-bad-weight', lambda L: F(L).cross_entropy(t(L, X), t(L, P), t(L, W5[:2]))),
    ('ce-bad-reduction', lambda L: F(L).cross_entropy(t(L, X), i64(L, T), reduction='avg')),
    ('ce-int-input', lambda L: F(L).cross_entropy(i64(L, T[None]), i64(L, [0]))),
    ('ce-0d-input', lambda L: F(L).cross_entropy(t(L, 1.0), i64(L, 0))),
    ('nll-2d-target', lambda L: F(L).nll_loss(t(L, X), i64(L, np.zeros((4, 2), np.int64)))),
    ('nll-bad-weight', lambda L: F(L).nll_loss(t(L, X), i64(L, T), t(L, W5[:3]))),
    ('nll-weight-dtype', lambda L: F(L).nll_loss(t(L, X, 'float64'), i64(L, T), t(L, W5))),
    ('nll-nd-target-size', lambda L: F(L).nll_loss(t(L, X4).view(2, 3, 4),
                                                   i64(L, np.zeros((2, 3), np.int64)))),
    ('nll-4d-target-dim', lambda L: F(L).nll_loss(t(L, X4), i64(L, np.zeros((2, 2),
                                                                            np.int64)))),
    ('nll-4d-target-size', lambda L: F(L).nll_loss(t(L, X4), i64(L, np.zeros((2, 2, 3),
                                                                             np.int64)))),
    ('nll-1d-size', lambda L: F(L).nll_loss(t(L, X[0]), i64(L, [1, 2]))),
    ('nll-0d', lambda L: F(L).nll_loss(t(L, 1.0), i64(L, 0))),
    ('bce-out-of-range', lambda L: F(L).binary_cross_entropy(t(L, X), t(L, P))),
    ('bce-nan', lambda L: F(L).binary_cross_entropy(t(L, [0.5, math.nan]), t(L, [0.5, 0.5]))),
    ('bce-size', lambda L: F(L).binary_cross_entropy(t(L, P), t(L, P[0]))),
    ('bce-dtype', lambda L: F(L).binary_cross_entropy(t(L, P), t(L, P, 'float64'))),
    ('bce-logits-size', lambda L: F(L).binary_cross_entropy_with_logits(t(L, X), t(L, P[0]))),
    ('bce-logits-int-target', lambda L: F(L).binary_cross_entropy_with_logits(
        t(L, X), i64(L, np.ones((4, 5), np.int64)))),
    ('mse-shape', lambda L: F(L).mse_loss(t(L, X), t(L, X[:, :2]))),
    ('mse-int', lambda L: F(L).mse_loss(i64(L, T), i64(L, T))),
    ('mse-weight-size', lambda L: F(L).mse_loss(t(L, X), t(L, Y), weight=t(L, W5))),
    ('smooth_l1-negative-beta', lambda L: F(L).smooth_l1_loss(t(L, X), t(L, Y), beta=-1.0)),
    ('huber-delta', lambda L: F(L).huber_loss(t(L, X), t(L, Y), delta=0.0)),
    ('huber-int', lambda L: F(L).huber_loss(i64(L, T), i64(L, T))),
    ('soft-margin-target-grad', lambda L: F(L).soft_margin_loss(t(L, X), t(L, Y, grad=True))),
    ('soft-margin-int', lambda L: F(L).soft_margin_loss(i64(L, T), t(L, [1.0] * 4))),
    ('kl-int', lambda L: F(L).kl_div(i64(L, T), i64(L, T))),
    ('kl-bad-reduction', lambda L: F(L).kl_div(t(L, X), t(L, P), reduction='avg')),
    ('margin-ranking-dims', lambda L: F(L).margin_ranking_loss(t(L, X), t(L, Y), t(L, [1.0]))),
    ('triplet-margin', lambda L: F(L).triplet_margin_loss(t(L, X), t(L, Y), t(L, X), margin=0)),
    ('triplet-dims', lambda L: F(L).triplet_margin_loss(t(L, X), t(L, Y[0]), t(L, X))),
    ('cosine-embedding-target', lambda L: F(L).cosine_embedding_loss(t(L, X), t(L, Y),
                                                                     t(L, X))),
    ('cosine-embedding-inputs', lambda L: F(L).cosine_embedding_loss(t(L, X[0]), t(L, Y[0]),
                                                                     t(L, [1.0]))),
    ('multi-margin-p', lambda L: F(L).multi_margin_loss(t(L, X), i64(L, T), p=3)),
    ('multi-margin-target', lambda L: F(L).multi_margin_loss(t(L, X), i64(L, [0, 9, 1, 1]))),
    ('multi-margin-target-size', lambda L: F(L).multi_margin_loss(t(L, X), i64(L, [0]))),
    ('multi-margin-weight', lambda L: F(L).multi_margin_loss(t(L, X), i64(L, T),
                                                             weight=t(L, W5[:2]))),
    ('multilabel-margin-range', lambda L: F(L).multilabel_margin_loss(t(L, X),
                                                                      i64(L, MLML + 4))),
    ('multilabel-margin-size', lambda L: F(L).multilabel_margin_loss(t(L, X), i64(L, T))),
    ('gaussian-negative-var', lambda L: F(L).gaussian_nll_loss(t(L, X), t(L, Y), t(L, X))),
    ('gaussian-var-size', lambda L: F(L).gaussian_nll_loss(t(L, X), t(L, Y), t(L, P[:2]))),
    ('poisson-reduction', lambda L: F(L).poisson_nll_loss(t(L, X), t(L, Y), reduction='x')),
]


@requires_torch
@pytest.mark.parametrize('name,fn', ERRORS, ids=[r[0] for r in ERRORS])
def test_errors_match_torch(name, fn):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        check(fn)


@requires_torch
def test_error_messages_match_torch():
    for fn in (lambda L: F(L).cross_entropy(t(L, X), i64(L, [0, 1, 5, 2])),
               lambda L: F(L).cross_entropy(t(L, X), i64(L, [0, 1, 2])),
               lambda L: F(L).nll_loss(t(L, X), i64(L, T), t(L, W5[:3])),
               lambda L: F(L).binary_cross_entropy(t(L, P), t(L, P[0])),
               lambda L: F(L).binary_cross_entropy_with_logits(t(L, X), t(L, P[0])),
               lambda L: F(L).cross_entropy(t(L, X), t(L, P), ignore_index=1)):
        check(fn, match_message=True)


def test_size_mismatch_warns():
    with pytest.warns(UserWarning, match='Using a target size'):
        EF.mse_loss(ember.ones(3, 2), ember.ones(2))
    with pytest.warns(UserWarning, match="reduction: 'mean' divides the total loss"):
        EF.kl_div(ember.zeros(2, 2), ember.ones(2, 2))
    with pytest.warns(UserWarning, match='size_average and reduce args will be deprecated'):
        EF.mse_loss(ember.ones(2), ember.ones(2), reduce=False)


# ---------------------------------------------------------------------------------------
# CTC
# ---------------------------------------------------------------------------------------
_LP = np.log(_rng.dirichlet(np.ones(5), size=(12, 3))).astype(np.float32)
_TG = np.array([[1, 1, 2, 4], [3, 2, 0, 0], [4, 1, 3, 0]])


@requires_torch
@pytest.mark.parametrize('reduction', ['none', 'mean', 'sum'])
@pytest.mark.parametrize('zero_infinity', [False, True])
def test_ctc_matches_torch(reduction, zero_infinity):
    def run(L):
        lp = t(L, _LP, grad=True)
        out = F(L).ctc_loss(lp, i64(L, _TG), [12, 2, 7], [4, 2, 3], reduction=reduction,
                            zero_infinity=zero_infinity)
        finite = out if reduction == 'none' else out
        finite.sum().backward() if zero_infinity or reduction != 'none' else \
            out[::2].sum().backward()
        return out, lp.grad
    check(run, rtol=1e-4, atol=1e-5, check_repr=False)


@requires_torch
def test_ctc_concatenated_targets_and_module():
    def run(L):
        lp = t(L, _LP, 'float64', grad=True)
        targets = i64(L, np.concatenate([_TG[0, :4], _TG[1, :2], _TG[2, :3]]))
        loss = L.nn.CTCLoss(blank=0)(lp, targets, i64(L, [12, 10, 7]), i64(L, [4, 2, 3]))
        loss.backward()
        return loss, lp.grad, repr(L.nn.CTCLoss(blank=1, zero_infinity=True))
    check(run, rtol=1e-8, atol=1e-10)
    check(lambda L: F(L).ctc_loss(t(L, _LP[:, 0]), i64(L, [1, 2]), [12], [2]), rtol=1e-5)
    check(lambda L: F(L).ctc_loss(t(L, _LP), i64(L, _TG), [13, 2, 7], [4, 2, 3]))


# ---------------------------------------------------------------------------------------
# distances
# ---------------------------------------------------------------------------------------
DISTANCES = [
    ('cosine', lambda L, x, y: F(L).cosine_similarity(x, y)),
    ('cosine-dim0', lambda L, x, y: F(L).cosine_similarity(x, y, dim=0)),
    ('cosine-broadcast', lambda L, x, y: F(L).cosine_similarity(x, y[0], dim=-1)),
    ('cosine-1d', lambda L, x, y: F(L).cosine_similarity(x[0], y[0], dim=0)),
    ('cosine-zero', lambda L, x, y: F(L).cosine_similarity(x * 0, y)),
    ('cosine-f64', lambda L, x, y: F(L).cosine_similarity(x, y.double())),
    ('pairwise', lambda L, x, y: F(L).pairwise_distance(x, y)),
    ('pairwise-keepdim', lambda L, x, y: F(L).pairwise_distance(x, y, keepdim=True)),
    ('pairwise-p1', lambda L, x, y: F(L).pairwise_distance(x, y, p=1.0)),
    ('pairwise-p3', lambda L, x, y: F(L).pairwise_distance(x, y, p=3.0)),
    ('pairwise-inf', lambda L, x, y: F(L).pairwise_distance(x, y, p=math.inf)),
    ('pairwise-neg', lambda L, x, y: F(L).pairwise_distance(x, y, p=-1.0)),
    ('pairwise-broadcast', lambda L, x, y: F(L).pairwise_distance(x, y[0])),
    ('pairwise-1d', lambda L, x, y: F(L).pairwise_distance(x[0], y[0])),
    ('pdist', lambda L, x, y: F(L).pdist(x)),
    ('pdist-p1', lambda L, x, y: F(L).pdist(x, p=1)),
    ('pdist-p3', lambda L, x, y: F(L).pdist(x + y, p=3)),
    ('pdist-inf', lambda L, x, y: F(L).pdist(x, p=math.inf)),
    ('pdist-one-row', lambda L, x, y: F(L).pdist(x[:1])),
    ('layer-cosine', lambda L, x, y: L.nn.CosineSimilarity(dim=0, eps=1e-6)(x, y)),
    ('layer-pairwise', lambda L, x, y: L.nn.PairwiseDistance(p=1.5, keepdim=True)(x, y)),
]


@requires_torch
@pytest.mark.parametrize('name,fn', DISTANCES, ids=[r[0] for r in DISTANCES])
@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_distance_matches_torch(name, fn, dtype):
    check(with_grads(fn, dtype), rtol=1e-5, atol=1e-6, check_repr=False)


DISTANCE_ERRORS = [
    ('cosine-shape', lambda L: F(L).cosine_similarity(t(L, X), t(L, Y[:2]))),
    ('cosine-int', lambda L: F(L).cosine_similarity(i64(L, T), i64(L, T), dim=0)),
    ('pdist-3d', lambda L: F(L).pdist(t(L, X4))),
    ('pdist-int', lambda L: F(L).pdist(i64(L, MLML))),
    ('pdist-negative-p', lambda L: F(L).pdist(t(L, X), p=-1)),
    ('pairwise-int', lambda L: F(L).pairwise_distance(i64(L, T), i64(L, T))),
]


@requires_torch
@pytest.mark.parametrize('name,fn', DISTANCE_ERRORS, ids=[r[0] for r in DISTANCE_ERRORS])
def test_distance_edge_cases_match_torch(name, fn):
    check(fn, check_repr=False)


@requires_torch
def test_distance_layer_reprs():
    for make in (lambda nn: nn.CosineSimilarity(), lambda nn: nn.PairwiseDistance(p=3)):
        assert repr(make(ember.nn)) == repr(make(torch.nn))


# ---------------------------------------------------------------------------------------
# loss layers: repr, state_dict, outputs and gradients (weights loaded from PyTorch's)
# ---------------------------------------------------------------------------------------
def _layers(L):
    nn = L.nn
    w = t(L, W5)
    return [
        (nn.MSELoss(), 'xy'), (nn.MSELoss(reduction='sum'), 'xy'), (nn.L1Loss(), 'xy'),
        (nn.SmoothL1Loss(beta=0.5), 'xy'), (nn.HuberLoss(delta=0.3), 'xy'),
        (nn.CrossEntropyLoss(), 'xt'), (nn.CrossEntropyLoss(weight=w), 'xt'),
        (nn.CrossEntropyLoss(ignore_index=3, label_smoothing=0.1), 'xt'),
        (nn.NLLLoss(weight=w, reduction='none'), 'xt'), (nn.NLLLoss2d(), 'xt'),
        (nn.BCELoss(weight=w), 'px'), (nn.BCEWithLogitsLoss(pos_weight=w), 'xp'),
        (nn.BCEWithLogitsLoss(weight=w, reduction='sum'), 'xp'),
        (nn.KLDivLoss(reduction='batchmean'), 'lp'),
        (nn.KLDivLoss(reduction='sum', log_target=True), 'll'),
        (nn.PoissonNLLLoss(full=True), 'xp'), (nn.GaussianNLLLoss(eps=0.1), 'xyv'),
        (nn.HingeEmbeddingLoss(margin=2.0), 'xs'), (nn.MultiLabelMarginLoss(), 'xm'),
        (nn.SoftMarginLoss(), 'xs'), (nn.MultiLabelSoftMarginLoss(weight=w), 'xb'),
        (nn.CosineEmbeddingLoss(margin=0.2), 'xy1'), (nn.MarginRankingLoss(0.5), 'xys'),
        (nn.MultiMarginLoss(p=2, weight=w), 'xt'), (nn.TripletMarginLoss(swap=True), 'xyz'),
        (nn.TripletMarginWithDistanceLoss(margin=0.5), 'xyz'),
        (nn.CTCLoss(), 'ctc'), (nn.L1Loss(size_average=False), 'xy'),
    ]


def _inputs(L, kind, x, y):
    if kind == 'ctc':
        return [t(L, _LP, grad=True), i64(L, _TG), [12, 10, 7], [4, 2, 3]]
    table = {'x': x, 'y': y, 't': i64(L, T), 'p': t(L, P), 's': t(L, SIGN),
             'l': t(L, P).log_softmax(1), 'v': t(L, P) + 0.05, 'm': i64(L, MLML),
             'b': t(L, (P > 0.5) * 1.0), 'z': x * 2, '1': t(L, [1.0, -1.0, -1.0, 1.0])}
    if kind == 'px':
        return [x.sigmoid(), t(L, P)]
    if kind == 'lp':
        return [x.log_softmax(1), t(L, P).softmax(1)]
    if kind == 'll':
        return [x.log_softmax(1), t(L, P).log_softmax(1)]
    return [table[k] for k in kind]


@requires_torch
def test_loss_layers_match_torch():
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        pairs = list(zip(_layers(torch), _layers(ember)))
    for (mt, kind), (me, _) in pairs:
        assert repr(me) == repr(mt)
        assert list(me.state_dict().keys()) == list(mt.state_dict().keys())
        me.load_state_dict({k: ember.tensor(v.numpy()) for k, v in mt.state_dict().items()})
        for mode in ('train', 'eval'):
            mt.train(mode == 'train')
            me.train(mode == 'train')
            xt, yt = torch.tensor(X, requires_grad=True), torch.tensor(Y, requires_grad=True)
            xe, ye = ember.tensor(X, requires_grad=True), ember.tensor(Y, requires_grad=True)
            ot = mt(*_inputs(torch, kind, xt, yt))
            oe = me(*_inputs(ember, kind, xe, ye))
            name = lambda out: None if out.grad_fn is None else out.grad_fn.name()  # noqa
            assert name(oe) == name(ot), repr(mt)
            np.testing.assert_allclose(oe.detach().numpy(), ot.detach().numpy(), rtol=1e-4,
                                       atol=1e-5, err_msg=repr(mt))
            if kind == 'ctc':
                continue
            ot.sum().backward()
            oe.sum().backward()
            for gt, ge in ((xt.grad, xe.grad), (yt.grad, ye.grad)):
                assert (gt is None) == (ge is None), repr(mt)
                if gt is not None:
                    np.testing.assert_allclose(ge.numpy(), gt.numpy(), rtol=1e-4, atol=1e-5,
                                               err_msg=repr(mt))


def test_loss_layer_errors():
    with pytest.raises(ValueError):
        ember.nn.MultiMarginLoss(p=3)
    with pytest.raises(ValueError):
        ember.nn.MultiMarginLoss(weight=ember.ones(2, 2))
    with pytest.raises(ValueError):
        ember.nn.TripletMarginLoss(margin=0)
    with pytest.raises(ValueError):
        ember.nn.TripletMarginWithDistanceLoss(margin=-1.0)
    assert ember.nn.CrossEntropyLoss().weight is None


# ---------------------------------------------------------------------------------------
# float64 gradcheck of every functional loss and distance
# ---------------------------------------------------------------------------------------
def _leaf(data):
    return ember.tensor(np.asarray(data, dtype=np.float64)[:3, :4], requires_grad=True)


_t3 = ember.tensor([0, 3, 1])
_s = ember.tensor(SIGN[:3, :4].astype(np.float64))
_p = ember.tensor(P[:3, :4].astype(np.float64))
GRADCHECK = [
    ('mse', lambda x, y: EF.mse_loss(x, y)),
    ('l1', lambda x, y: EF.l1_loss(x, y, reduction='sum')),
    ('smooth_l1', lambda x, y: EF.smooth_l1_loss(x, y, beta=0.3)),
    ('huber', lambda x, y: EF.huber_loss(x, y, delta=0.4, reduction='none')),
    ('cross_entropy', lambda x, y: EF.cross_entropy(x, _t3, ember.tensor([1.0, 2, 3, 4],
                                                                         dtype=ember.float64))),
    ('cross_entropy-smooth', lambda x, y: EF.cross_entropy(x, _t3, label_smoothing=0.2)),
    ('cross_entropy-probs', lambda x, y: EF.cross_entropy(x, y.softmax(1))),
    ('nll', lambda x, y: EF.nll_loss(x, _t3, reduction='none')),
    ('bce', lambda x, y: EF.binary_cross_entropy(x.sigmoid(), y.sigmoid())),
    ('bce-logits', lambda x, y: EF.binary_cross_entropy_with_logits(x, y.sigmoid())),
    ('bce-logits-pos', lambda x, y: EF.binary_cross_entropy_with_logits(
        x, y.sigmoid(), pos_weight=ember.tensor([1.0, 2, 3, 0.5], dtype=ember.float64))),
    ('kl', lambda x, y: EF.kl_div(x.log_softmax(1), y.softmax(1), reduction='batchmean')),
    ('kl-log', lambda x, y: EF.kl_div(x, y, reduction='sum', log_target=True)),
    ('poisson', lambda x, y: EF.poisson_nll_loss(x, y.abs())),
    ('gaussian', lambda x, y: EF.gaussian_nll_loss(x, y, y.abs() + 0.5)),
    ('margin_ranking', lambda x, y: EF.margin_ranking_loss(x, y, _s, margin=0.1)),
    ('hinge', lambda x, y: EF.hinge_embedding_loss(x, _s, reduction='sum')),
    ('triplet', lambda x, y: EF.triplet_margin_loss(x, y, x * 0.5 + 0.3)),
    ('cosine_embedding', lambda x, y: EF.cosine_embedding_loss(
        x, y, ember.tensor([1.0, -1.0, 1.0], dtype=ember.float64), margin=-0.5)),
    ('multilabel_soft', lambda x, y: EF.multilabel_soft_margin_loss(x, _p)),
    ('multi_margin', lambda x, y: EF.multi_margin_loss(x, _t3, p=2, margin=2.0)),
    ('soft_margin', lambda x, y: EF.soft_margin_loss(x, _s)),
    ('multilabel_margin', lambda x, y: EF.multilabel_margin_loss(
        x, ember.tensor(MLML[:3, :4] % 4 * (MLML[:3, :4] >= 0) - (MLML[:3, :4] < 0)))),
    ('cosine_similarity', lambda x, y: EF.cosine_similarity(x, y)),
    ('pairwise', lambda x, y: EF.pairwise_distance(x, y, p=3)),
    ('pdist', lambda x, y: EF.pdist(x)),
    ('pdist-p1.5', lambda x, y: EF.pdist(x + y, p=1.5)),
]


@pytest.mark.parametrize('name,fn', GRADCHECK, ids=[g[0] for g in GRADCHECK])
def test_gradcheck(name, fn):
    assert gradcheck(fn, (_leaf(X * 1.3), _leaf(Y)))


@pytest.mark.parametrize('name', ['mse', 'cross_entropy', 'nll', 'bce-logits', 'multi_margin',
                                  'smooth_l1', 'cosine_similarity'])
def test_gradgradcheck(name):
    fn = dict(GRADCHECK)[name]
    assert gradgradcheck(fn, (_leaf(X * 1.3), _leaf(Y)))


def test_gradcheck_ctc():
    lp = ember.tensor(_LP[:6, :2].astype(np.float64), requires_grad=True)
    fn = lambda lp: EF.ctc_loss(lp.log_softmax(2), ember.tensor([[1, 2], [3, 3]]),  # noqa
                                [6, 5], [2, 2])
    assert gradcheck(fn, (lp,))


# ---------------------------------------------------------------------------------------
# by hand
# ---------------------------------------------------------------------------------------
def test_values_by_hand():
    x = ember.tensor([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]], dtype=ember.float64)
    target = ember.tensor([2, 0])
    e = np.exp([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]])
    logp = np.log(e / e.sum(1, keepdims=True))
    assert EF.cross_entropy(x, target).item() == pytest.approx(-(logp[0, 2] + logp[1, 0]) / 2)
    assert EF.nll_loss(x, target, reduction='sum').item() == -4.0
    w = ember.tensor([1.0, 1.0, 3.0], dtype=ember.float64)
    assert EF.nll_loss(x, target, w).item() == pytest.approx(-(3 * 3 + 1) / 4)
    a, b = ember.tensor([1.0, -2.0]), ember.tensor([0.0, 0.0])
    assert EF.mse_loss(a, b).item() == 2.5
    assert EF.l1_loss(a, b).item() == 1.5
    assert EF.smooth_l1_loss(a, b).item() == pytest.approx((0.5 + 1.5) / 2)
    assert EF.huber_loss(a, b, delta=0.5).item() == pytest.approx((0.5 * 0.75 + 0.5 * 1.75) / 2)
    p = ember.tensor([0.0, 1.0])
    # log(0) is clamped to -100
    assert EF.binary_cross_entropy(p, ember.tensor([1.0, 0.0])).item() == 100.0
    assert EF.binary_cross_entropy_with_logits(ember.tensor([0.0]), ember.tensor([1.0])).item() \
        == pytest.approx(math.log(2))
    assert EF.cosine_similarity(ember.tensor([[1.0, 0.0]]), ember.tensor([[0.0, 2.0]])).item() \
        == 0.0
    assert EF.pairwise_distance(ember.tensor([[3.0, 0.0]]), ember.tensor([[0.0, 4.0]]),
                                eps=0).item() == 5.0
    np.testing.assert_allclose(EF.pdist(ember.tensor([[0.0, 0], [3, 4], [6, 8]])).numpy(),
                               [5.0, 10.0, 5.0])


def test_cross_entropy_backward_is_softmax_minus_onehot():
    x = ember.tensor(X.astype(np.float64), requires_grad=True)
    EF.cross_entropy(x, ember.tensor(T), reduction='sum').backward()
    e = np.exp(X.astype(np.float64))
    expected = e / e.sum(1, keepdims=True)
    expected[np.arange(4), T] -= 1
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-12)
