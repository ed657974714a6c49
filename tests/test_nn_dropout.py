"""Dropout: seeded masks equal PyTorch's (same generator stream, same fill order), the graph
PyTorch shows, eval mode as identity, feature and alpha variants, errors."""
import warnings

import numpy as np
import pytest

import ember
import ember.nn.functional as EF
from oracle import check, requires_torch

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

_rng = np.random.default_rng(0)
X = _rng.standard_normal((4, 6, 3, 2)).astype(np.float32)


def F(lib):
    return lib.nn.functional


def t(lib, data, dtype='float32', grad=False):
    return lib.tensor(np.asarray(data), dtype=getattr(lib, dtype), requires_grad=grad)


def seeded(fn, seed=3):
    """Run ``fn(lib)`` after seeding; also return a draw made afterwards, so the generator
    must have advanced exactly as PyTorch's."""
    def run(lib):
        lib.manual_seed(seed)
        out = fn(lib)
        return out, lib.rand(3)
    return run


CASES = [
    ('dropout', lambda L: F(L).dropout(t(L, X), 0.3)),
    ('dropout-default', lambda L: F(L).dropout(t(L, X))),
    ('dropout-grad', lambda L: F(L).dropout(t(L, X, grad=True), 0.4)),
    ('dropout-f64', lambda L: F(L).dropout(t(L, X, 'float64'), 0.3)),
    ('dropout-f16', lambda L: F(L).dropout(t(L, X, 'float16'), 0.3)),
    ('dropout-bf16', lambda L: F(L).dropout(t(L, X, 'bfloat16'), 0.3)),
    ('dropout-transposed', lambda L: F(L).dropout(t(L, X).transpose(0, 2), 0.5)),
    ('dropout-permuted', lambda L: F(L).dropout(t(L, X).permute(3, 1, 0, 2), 0.7)),
    ('dropout-sliced', lambda L: F(L).dropout(t(L, X)[:, ::2], 0.5)),
    ('dropout-expanded', lambda L: F(L).dropout(t(L, X[0, 0]).expand(4, 3, 2), 0.5)),
    ('dropout-0d', lambda L: F(L).dropout(t(L, 2.0), 0.5)),
    ('dropout-empty', lambda L: F(L).dropout(L.zeros(0, 3), 0.5)),
    ('dropout-p0', lambda L: F(L).dropout(t(L, X), 0.0)),
    ('dropout-p1', lambda L: F(L).dropout(t(L, X, grad=True), 1.0)),
    ('dropout-eval', lambda L: F(L).dropout(t(L, X, grad=True), 0.5, training=False)),
    ('dropout-inplace', lambda L: F(L).dropout(t(L, X, grad=True) * 1, 0.5, inplace=True)),
    ('dropout-int', lambda L: F(L).dropout(L.arange(6), 0.5)),
    ('dropout-int-eval', lambda L: F(L).dropout(L.arange(6), 0.5, False)),
    ('dropout-int-p1', lambda L: F(L).dropout(L.arange(6), 1.0)),
    ('dropout-bad-p', lambda L: F(L).dropout(t(L, X), 1.5)),
    ('dropout-negative-p', lambda L: F(L).dropout(t(L, X), -0.1)),
    ('dropout1d', lambda L: F(L).dropout1d(t(L, X[:, :, :, 0]), 0.5)),
    ('dropout1d-unbatched', lambda L: F(L).dropout1d(t(L, X[0, :, :, 0], grad=True), 0.5)),
    ('dropout1d-4d', lambda L: F(L).dropout1d(t(L, X), 0.5)),
    ('dropout2d', lambda L: F(L).dropout2d(t(L, X, grad=True), 0.5)),
    ('dropout2d-2d', lambda L: F(L).dropout2d(t(L, X[:, :, 0, 0]), 0.5)),
    ('dropout2d-1d', lambda L: F(L).dropout2d(t(L, X[0, 0, 0]), 0.5)),
    ('dropout2d-inplace', lambda L: F(L).dropout2d(t(L, X) * 1, 0.5, inplace=True)),
    ('dropout3d', lambda L: F(L).dropout3d(t(L, X[None]), 0.2)),
    ('dropout3d-unbatched', lambda L: F(L).dropout3d(t(L, X, grad=True), 0.2)),
    ('alpha_dropout', lambda L: F(L).alpha_dropout(t(L, X, grad=True), 0.3, True)),
    ('alpha_dropout-default-eval', lambda L: F(L).alpha_dropout(t(L, X), 0.3)),
    ('alpha_dropout-f64', lambda L: F(L).alpha_dropout(t(L, X, 'float64'), 0.6, True)),
    ('alpha_dropout-p1', lambda L: F(L).alpha_dropout(t(L, X), 1.0, True)),
    ('alpha_dropout-inplace', lambda L: F(L).alpha_dropout(t(L, X) * 1, 0.3, True, True)),
    ('feature_alpha_dropout', lambda L: F(L).feature_alpha_dropout(t(L, X), 0.3, True)),
    ('feature_alpha_dropout-1d', lambda L: F(L).feature_alpha_dropout(t(L, X[0, 0, 0]), 0.3,
                                                                       True)),
]


@requires_torch
@pytest.mark.parametrize('name,fn', CASES, ids=[c[0] for c in CASES])
def test_matches_torch(name, fn):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        check(seeded(fn), rtol=1e-6, atol=1e-7,
              check_repr='16' not in name and 'alpha' not in name)


@requires_torch
@pytest.mark.parametrize('seed', [0, 1, 123])
@pytest.mark.parametrize('p', [0.1, 0.5, 0.9])
def test_masks_equal_torch_for_many_seeds(seed, p):
    x = np.ones((7, 33), dtype=np.float32)
    torch.manual_seed(seed)
    ember.manual_seed(seed)
    a = torch.nn.functional.dropout(torch.tensor(x), p).numpy()
    b = EF.dropout(ember.tensor(x), p).numpy()
    np.testing.assert_array_equal(a, b)
    # the kept values are scaled by exactly 1 / (1 - p), rounded in float32
    np.testing.assert_array_equal(np.unique(b[b != 0]), [np.float32(1) / np.float32(1 - p)])


def test_eval_is_identity_and_returns_input():
    x = ember.randn(3, 4, requires_grad=True)
    assert EF.dropout(x, 0.5, training=False) is x
    assert EF.dropout(x, 0.0) is x
    layer = ember.nn.Dropout(0.5).eval()
    assert layer(x) is x
    assert ember.nn.AlphaDropout(0.5).eval()(x) is x


def test_train_mode_statistics_and_gradient():
    ember.manual_seed(0)
    x = ember.ones(200, 50, requires_grad=True)
    y = EF.dropout(x, 0.25)
    kept = (y.detach().numpy() != 0).mean()
    assert abs(kept - 0.75) < 0.02
    y.sum().backward()
    # the gradient is the mask scaled by 1 / (1 - p)
    np.testing.assert_allclose(x.grad.numpy(), y.detach().numpy())
    assert y.grad_fn.name() == 'MulBackward0'


def test_alpha_dropout_keeps_mean_and_variance():
    ember.manual_seed(0)
    x = ember.randn(400, 400)
    y = EF.alpha_dropout(x, 0.2, True).numpy()
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.02


def test_feature_dropout_zeroes_whole_channels():
    ember.manual_seed(1)
    y = EF.dropout2d(ember.ones(8, 16, 3, 3), 0.5).numpy()
    per_channel = y.reshape(8, 16, 9)
    assert ((per_channel == 0).all(-1) | (per_channel == 2).all(-1)).all()


def test_dropout2d_warnings():
    with pytest.warns(UserWarning, match='dropout2d: Received a 3D input'):
        EF.dropout2d(ember.ones(2, 3, 4), 0.5)
    with pytest.warns(UserWarning, match='Received a 2-D input to dropout2d'):
        EF.dropout2d(ember.ones(2, 3), 0.5)
    with pytest.warns(UserWarning, match='Received a 3-D input to dropout3d'):
        EF.dropout3d(ember.ones(2, 3, 4), 0.5)


LAYERS = [
    ('Dropout', lambda nn: nn.Dropout(0.3)),
    ('Dropout-inplace', lambda nn: nn.Dropout(p=0.2, inplace=True)),
    ('Dropout1d', lambda nn: nn.Dropout1d(0.4)),
    ('Dropout2d', lambda nn: nn.Dropout2d()),
    ('Dropout3d', lambda nn: nn.Dropout3d(0.1)),
    ('AlphaDropout', lambda nn: nn.AlphaDropout(0.2)),
    ('FeatureAlphaDropout', lambda nn: nn.FeatureAlphaDropout(0.5)),
]


@requires_torch
@pytest.mark.parametrize('name,make', LAYERS, ids=[c[0] for c in LAYERS])
def test_layers_match_torch(name, make):
    shape = X.shape[:3] if name == 'Dropout1d' else X.shape
    data = X.reshape(-1)[:int(np.prod(shape))].reshape(shape)

    def run(L, mode):
        layer = make(L.nn)
        getattr(layer, mode)()
        L.manual_seed(11)
        x = t(L, data, grad=True)
        out = layer(x * 1)
        out.backward(L.ones_like(out))
        return repr(layer), list(layer.state_dict().keys()), out, x.grad, layer.training

    for mode in ('train', 'eval'):
        check(lambda L: run(L, mode), rtol=1e-6, atol=1e-7, check_repr='Alpha' not in name)


@requires_torch
def test_layer_errors():
    check(lambda L: L.nn.Dropout(1.5))
    check(lambda L: L.nn.Dropout2d(-0.5))
    check(lambda L: L.nn.Dropout1d(0.5)(t(L, X)))


@requires_torch
def test_seeded_model_training_step_matches_torch():
    """A small MLP with dropout: same seed, same weights, same masks, same gradients."""
    def run(L):
        L.manual_seed(0)
        model = L.nn.Sequential(L.nn.Linear(6, 8), L.nn.ReLU(), L.nn.Dropout(0.5),
                                L.nn.Linear(8, 3))
        x = t(L, X.reshape(-1, 6)[:10])
        loss = F(L).cross_entropy(model(x), L.tensor([0, 1, 2, 0, 1, 2, 0, 1, 2, 0]))
        loss.backward()
        return loss, [p.grad for p in model.parameters()]
    check(run, rtol=1e-5, atol=1e-6, check_repr=False)
