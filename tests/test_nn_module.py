"""nn.Module machinery: registration, iteration, state_dict, repr, hooks, conversion —
against PyTorch, including the seed models."""
import copy

import numpy as np
import pytest

import ember
from oracle import check, printed, requires_torch

pytestmark = requires_torch


def _seed_model(torch):
    nn = torch.nn
    Parameter = torch.nn.parameter.Parameter

    class Funcion1(nn.Module):
        def __init__(self):
            super().__init__()
            self.W = Parameter(torch.rand(2, 2))

        def forward(self, x):
            return x + self.W

    class Funcion2(Funcion1):
        def forward(self, x):
            return x - self.W

    class Funcion3(Funcion1):
        def forward(self, x):
            return x * self.W

    class Funcion4(Funcion1):
        def forward(self, x):
            return x / self.W

    class Layer1(nn.Module):
        def __init__(self):
            super().__init__()
            self.func1 = Funcion1()
            self.func2 = Funcion2()

        def forward(self, x):
            return self.func2(self.func1(x))

    class Layer2(nn.Module):
        def __init__(self):
            super().__init__()
            self.func3 = Funcion3()
            self.func4 = Funcion4()

        def forward(self, x):
            return self.func4(self.func3(x))

    class MyModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer1 = Layer1()
            self.layer2 = Layer2()

        def forward(self, x):
            return self.layer2(self.layer1(x))

    torch.manual_seed(0)
    return MyModel()


def test_seed_model_prints_and_runs_like_pytorch():
    def snippet(torch):
        model = _seed_model(torch)
        print(model)
        x = torch.ones(2, 2)
        y = model(x)
        print(y)
        y.sum().backward()
        for name, p in model.named_parameters():
            print(name, p.grad)
        print(list(model.state_dict().keys()))
        print([n for n, _ in model.named_modules()], [n for n, _ in model.named_children()])
    ours, theirs = printed(snippet)
    assert ours == theirs


def test_seed_linear_with_addmm_and_buffer():
    def snippet(torch):
        nn = torch.nn
        Parameter = torch.nn.parameter.Parameter

        class Linear(nn.Module):
            def __init__(self, in_features, out_features):
                super().__init__()
                self.W = Parameter(nn.init.ones_(torch.empty(out_features, in_features)))
                self.b = Parameter(nn.init.ones_(torch.empty(out_features)))

            def forward(self, x):
                return torch.addmm(self.b, x, self.W.T)

        x = torch.Tensor([[1, 2], [3, 4]])
        print(Linear(2, 3)(x))

        class Model(nn.Module):
            def __init__(self):
                super().__init__()
                self.parameter = Parameter(torch.Tensor([7]))
                self.tensor = torch.Tensor([7])
                self.register_buffer('buffer', torch.Tensor([7]))

        model = Model()
        print(model.get_buffer('buffer'))
        print(model.state_dict())
        print(list(model.parameters()), list(model.buffers()))
    ours, theirs = printed(snippet)
    assert ours == theirs


def test_sequential_with_identity_matches_pytorch():
    def snippet(torch):
        nn = torch.nn
        torch.manual_seed(0)
        identity = nn.Identity()
        model = nn.Sequential(nn.Linear(3, 64), nn.ReLU() if hasattr(nn, 'ReLU') else None,
                              nn.Linear(64, 1), identity)
        x = torch.randn(2, 3)
        print(model(x))
        print(model)
    ours, theirs = printed(snippet)
    assert ours == theirs


def _module_api(torch):
    nn = torch.nn
    torch.manual_seed(0)
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.Linear(2, 3), shared)
    model.register_buffer('steps', torch.zeros(1))
    model.register_buffer('scratch', torch.zeros(1), persistent=False)
    return (
        [n for n, _ in model.named_parameters()],
        [n for n, _ in model.named_parameters(prefix='m', recurse=True)],
        [n for n, _ in model.named_buffers()],
        list(model.state_dict().keys()),
        len(list(model.parameters())),
        [n for n, _ in model.named_modules()],
        repr(model),
        model.get_submodule('1').out_features,
        model.get_parameter('1.bias').shape,
        model.training,
        model.eval().training,
        model[0] is model[2],
        repr(model[1:]),
        len(model),
    )


def _module_errors_forward(torch):
    nn = torch.nn

    class NoForward(nn.Module):
        pass
    NoForward()(1)


def _module_errors_assign_before_init(torch):
    nn = torch.nn

    class Forgot(nn.Module):
        def __init__(self):
            self.linear = nn.Linear(2, 2)
    Forgot()


def _module_errors_missing_attr(torch):
    nn = torch.nn
    nn.Linear(2, 2).nothing


def _load_state_dict_report(torch):
    nn = torch.nn
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    result = model.load_state_dict({'0.weight': torch.ones(3, 2)}, strict=False)
    return repr(result), model[0].weight.detach().clone(), \
        repr(model.load_state_dict(model.state_dict()))


def _load_state_dict_errors(torch):
    nn = torch.nn
    model = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    model.load_state_dict({'0.weight': torch.ones(3, 2), 'foo': torch.ones(1)})


def _load_state_dict_shape(torch):
    nn = torch.nn
    model = nn.Sequential(nn.Linear(2, 3))
    model.load_state_dict({'0.weight': torch.ones(2, 2), '0.bias': torch.ones(3)})


def _module_list_dict(torch):
    nn = torch.nn
    torch.manual_seed(0)
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.Identity()])
    layers.append(nn.Linear(2, 4))
    blocks = nn.ModuleDict({'a': nn.Linear(1, 1), 'b': nn.Identity()})
    params = nn.ParameterList([nn.Parameter(torch.ones(2)), nn.Parameter(torch.zeros(3))])
    pdict = nn.ParameterDict({'w': nn.Parameter(torch.ones(1))})

    class Holder(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers, self.blocks, self.params, self.pdict = layers, blocks, params, pdict
    holder = Holder()
    return repr(layers), repr(blocks), list(holder.state_dict().keys()), len(layers), \
        list(blocks.keys())


def _zero_grad_and_requires_grad(torch):
    nn = torch.nn
    torch.manual_seed(0)
    model = nn.Linear(2, 2)
    model(torch.ones(1, 2)).sum().backward()
    before = model.weight.grad.clone()
    model.zero_grad()
    after = model.weight.grad
    model.requires_grad_(False)
    return before, after is None, model.weight.requires_grad


def _to_keeps_identity(torch):
    nn = torch.nn
    torch.manual_seed(0)
    model = nn.Linear(2, 2)
    weight = model.weight
    model.double()
    same = model.weight is weight
    model.to(torch.float32)
    return same, model.weight.dtype, model.bias.dtype, model.weight is weight


def _hooks(torch):
    nn = torch.nn
    torch.manual_seed(0)
    model = nn.Linear(2, 2)
    calls = []
    h1 = model.register_forward_pre_hook(lambda m, args: calls.append('pre'))
    h2 = model.register_forward_hook(lambda m, args, out: out * 2)
    h3 = model.register_full_backward_hook(
        lambda m, gin, gout: calls.append(('bwd', [g.shape if g is not None else None
                                                    for g in gin], gout[0].shape)))
    x = torch.ones(3, 2, requires_grad=True)
    y = model(x)
    y.sum().backward()
    h1.remove(), h2.remove(), h3.remove()
    y2 = model(torch.ones(3, 2))
    return y, calls, y2, x.grad


def _parameter_repr(torch):
    nn = torch.nn
    p = nn.Parameter(torch.tensor([1.0, 2.0]))
    q = nn.Parameter(torch.ones(2), requires_grad=False)
    return repr(p), p.requires_grad, p.is_leaf, type(p).__name__, repr(q), \
        isinstance(p, torch.Tensor)


def _deepcopy(torch):
    nn = torch.nn
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 2))
    clone = copy.deepcopy(model)
    clone[0].weight.data.add_(1)
    return model[0].weight - clone[0].weight, type(clone[0].weight).__name__


def _apply_init(torch):
    nn = torch.nn
    torch.manual_seed(3)
    model = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))

    def init(m):
        if isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    model.apply(init)
    nn.init.kaiming_normal_(model[1].weight, mode='fan_out', nonlinearity='relu')
    nn.init.normal_(model[0].bias, 0, 0.5)
    return model[0].weight, model[1].weight, model[0].bias, nn.init.calculate_gain(
        'leaky_relu', 0.2)


def _clip_grad(torch):
    nn = torch.nn
    torch.manual_seed(0)
    model = nn.Linear(3, 2)
    (model(torch.ones(4, 3)) * 10).sum().backward()
    total = nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    vec = nn.utils.parameters_to_vector(model.parameters())
    return total, model.weight.grad, vec.shape


@pytest.mark.parametrize('snippet', [
    _module_api, _module_errors_forward, _module_errors_assign_before_init,
    _module_errors_missing_attr, _load_state_dict_report, _load_state_dict_errors,
    _load_state_dict_shape, _module_list_dict, _zero_grad_and_requires_grad,
    _to_keeps_identity, _hooks, _parameter_repr, _deepcopy, _apply_init, _clip_grad,
], ids=lambda f: f.__name__.strip('_'))
def test_module_matches_pytorch(snippet):
    check(snippet, check_stride=False, rtol=1e-5)


@pytest.mark.parametrize('snippet', [_module_errors_forward, _load_state_dict_errors,
                                     _load_state_dict_shape, _module_errors_missing_attr],
                         ids=lambda f: f.__name__.strip('_'))
def test_module_error_messages(snippet):
    check(snippet, match_message=True)


def test_pytorch_weights_give_pytorch_outputs():
    import torch
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.Linear(7, 2))
    ours = ember.nn.Sequential(ember.nn.Linear(5, 7), ember.nn.Linear(7, 2))
    ours.load_state_dict({k: ember.tensor(v.numpy()) for k, v in
                          theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((3, 5)).astype(np.float32)
    np.testing.assert_allclose(ours(ember.tensor(x)).detach().numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
