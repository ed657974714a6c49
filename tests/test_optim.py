"""ember.optim against torch.optim: parameter trajectories from identical parameters and
gradients, state dicts in PyTorch's layout and round trips in both directions, the
Optimizer base (param groups, hooks, zero_grad, errors, repr), LBFGS on Rosenbrock, and
swa_utils' averaged models."""
import copy
import pickle

import numpy as np
import pytest

import ember
from oracle import assert_same, check, requires_torch, torch

pytestmark = requires_torch


def check_value(fn, **kwargs):
    """``check`` for snippets that must run: the oracle alone also passes when both
    libraries raise the same error."""
    fn(torch)
    check(fn, **kwargs)

STEPS = 20


# ---------------------------------------------------------------------------------------
# helpers: identical parameters and gradient streams, conversion between the libraries
# ---------------------------------------------------------------------------------------
def _data(shapes, steps, dtype, seed=0):
    rng = np.random.default_rng(seed)
    inits = [rng.standard_normal(s).astype(dtype) for s in shapes]
    grads = [[rng.standard_normal(s).astype(dtype) for s in shapes] for _ in range(steps)]
    return inits, grads


def _tensor(lib, array):
    return lib.tensor(np.array(array))


def _trajectory(lib, make_opt, shapes=((3, 4), (5,)), steps=STEPS, dtype='float32',
                seed=0, groups=None):
    """Run ``steps`` steps with hand-set gradients; return the parameters after each."""
    inits, grads = _data(shapes, steps, dtype, seed)
    params = [lib.nn.Parameter(_tensor(lib, a)) for a in inits]
    opt = make_opt(lib, params if groups is None else groups(params))
    out = []
    for k in range(steps):
        for p, g in zip(params, grads[k]):
            p.grad = _tensor(lib, g)
        opt.step()
        out.append([np.array(p.detach().numpy()) for p in params])
    return out, opt, params


def _assert_trajectories(t, e, rtol=1e-5, atol=1e-6):
    for k, (tp, ep) in enumerate(zip(t, e)):
        for i, (a, b) in enumerate(zip(tp, ep)):
            np.testing.assert_allclose(b, a, rtol=rtol, atol=atol,
                                       err_msg=f'step {k + 1}, parameter {i}')


def to_ember(obj):
    """A torch object (state dict...) with every tensor converted to an ember tensor."""
    if isinstance(obj, torch.Tensor):
        return ember.tensor(obj.detach().numpy().copy())
    if isinstance(obj, dict):
        return type(obj)((k, to_ember(v)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_ember(v) for v in obj)
    return obj


def to_torch(obj):
    if isinstance(obj, ember.Tensor):
        return torch.from_numpy(np.array(obj.detach().numpy()))
    if isinstance(obj, dict):
        return type(obj)((k, to_torch(v)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_torch(v) for v in obj)
    return obj


# ---------------------------------------------------------------------------------------
# the optimizer table: (name, factory(lib, params))
# ---------------------------------------------------------------------------------------
OPTIMIZERS = [
    ('sgd', lambda L, p: L.optim.SGD(p, lr=0.1)),
    ('sgd_momentum_dampening_wd', lambda L, p: L.optim.SGD(p, lr=0.05, momentum=0.9,
                                                           dampening=0.1, weight_decay=0.01)),
    ('sgd_nesterov_maximize', lambda L, p: L.optim.SGD(p, lr=0.05, momentum=0.8,
                                                       nesterov=True, maximize=True)),
    ('sgd_tensor_lr', lambda L, p: L.optim.SGD(p, lr=L.tensor(0.05), momentum=0.5)),
    ('adam', lambda L, p: L.optim.Adam(p, lr=0.01)),
    ('adam_amsgrad_wd_maximize', lambda L, p: L.optim.Adam(p, lr=0.01, amsgrad=True,
                                                           weight_decay=0.1, maximize=True)),
    ('adam_decoupled', lambda L, p: L.optim.Adam(p, lr=0.02, weight_decay=0.1,
                                                 decoupled_weight_decay=True)),
    ('adam_small_beta1', lambda L, p: L.optim.Adam(p, lr=0.01, betas=(0.3, 0.9), eps=1e-3)),
    ('adamw', lambda L, p: L.optim.AdamW(p, lr=0.01)),
    ('adamw_amsgrad', lambda L, p: L.optim.AdamW(p, lr=0.01, betas=(0.8, 0.99),
                                                 weight_decay=0.5, amsgrad=True)),
    ('rmsprop', lambda L, p: L.optim.RMSprop(p, lr=0.01)),
    ('rmsprop_centered_momentum', lambda L, p: L.optim.RMSprop(
        p, lr=0.01, alpha=0.9, centered=True, momentum=0.5, weight_decay=0.1)),
    ('rmsprop_momentum_maximize', lambda L, p: L.optim.RMSprop(p, lr=0.005, momentum=0.9,
                                                               maximize=True)),
    ('adagrad', lambda L, p: L.optim.Adagrad(p, lr=0.1)),
    ('adagrad_decay_init', lambda L, p: L.optim.Adagrad(
        p, lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1, weight_decay=0.05)),
    ('adadelta', lambda L, p: L.optim.Adadelta(p)),
    ('adadelta_rho_wd', lambda L, p: L.optim.Adadelta(p, lr=0.5, rho=0.5, weight_decay=0.1,
                                                      maximize=True)),
    ('adamax', lambda L, p: L.optim.Adamax(p, lr=0.01)),
    ('adamax_wd', lambda L, p: L.optim.Adamax(p, lr=0.02, betas=(0.5, 0.9), weight_decay=0.1)),
    ('nadam', lambda L, p: L.optim.NAdam(p, lr=0.01)),
    ('nadam_wd', lambda L, p: L.optim.NAdam(p, lr=0.01, weight_decay=0.1,
                                            momentum_decay=0.01)),
    ('nadam_decoupled', lambda L, p: L.optim.NAdam(p, lr=0.01, weight_decay=0.1,
                                                   decoupled_weight_decay=True)),
    ('radam', lambda L, p: L.optim.RAdam(p, lr=0.01)),
    ('radam_wd', lambda L, p: L.optim.RAdam(p, lr=0.01, betas=(0.9, 0.9), weight_decay=0.1)),
    ('radam_decoupled', lambda L, p: L.optim.RAdam(p, lr=0.01, weight_decay=0.1,
                                                   decoupled_weight_decay=True)),
    ('asgd', lambda L, p: L.optim.ASGD(p, lr=0.01, t0=5, weight_decay=0.01)),
    ('rprop', lambda L, p: L.optim.Rprop(p, lr=0.01)),
    ('rprop_sizes', lambda L, p: L.optim.Rprop(p, lr=0.05, etas=(0.3, 1.5),
                                               step_sizes=(1e-3, 0.1), maximize=True)),
]
IDS = [name for name, _ in OPTIMIZERS]
FACTORIES = dict(OPTIMIZERS)


@pytest.mark.parametrize('name', IDS)
def test_trajectory_float32(name):
    make = FACTORIES[name]
    t, _, _ = _trajectory(torch, make)
    e, _, _ = _trajectory(ember, make)
    _assert_trajectories(t, e)


@pytest.mark.parametrize('name', IDS)
def test_trajectory_float64(name):
    make = FACTORIES[name]
    t, _, _ = _trajectory(torch, make, dtype='float64', steps=10)
    e, _, _ = _trajectory(ember, make, dtype='float64', steps=10)
    _assert_trajectories(t, e, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize('name', ['sgd_momentum_dampening_wd', 'adam_amsgrad_wd_maximize',
                                  'rmsprop_centered_momentum', 'adagrad_decay_init',
                                  'nadam', 'radam', 'adamax', 'adadelta', 'asgd', 'rprop'])
def test_trajectory_odd_shapes(name):
    # 0-d, empty and larger parameters in one group
    make = FACTORIES[name]
    shapes = ((), (0, 3), (2, 3, 4))
    t, _, _ = _trajectory(torch, make, shapes=shapes, steps=8)
    e, _, _ = _trajectory(ember, make, shapes=shapes, steps=8)
    _assert_trajectories(t, e)


@pytest.mark.parametrize('name', ['sgd_momentum_dampening_wd', 'adam', 'rmsprop_centered_momentum',
                                  'adagrad', 'nadam_decoupled', 'radam', 'asgd'])
def test_trajectory_noncontiguous_param(name):
    """A transposed parameter is updated in place through its strides; state follows its
    layout as zeros_like(preserve_format) does."""
    make = FACTORIES[name]

    def run(lib):
        inits, grads = _data([(4, 3)], 6, 'float32')
        p = lib.nn.Parameter(_tensor(lib, inits[0]).t())
        opt = make(lib, [p])
        out = []
        for k in range(6):
            p.grad = _tensor(lib, grads[k][0]).t()
            opt.step()
            out.append([np.array(p.detach().numpy())])
        state = opt.state_dict()['state'][0]
        strides = {k: v.stride() for k, v in state.items() if v.dim() > 0}
        return out, p.stride(), strides

    t, t_stride, t_strides = run(torch)
    e, e_stride, e_strides = run(ember)
    _assert_trajectories(t, e)
    assert e_stride == t_stride
    assert e_strides == t_strides


@pytest.mark.parametrize('name', ['sgd_momentum_dampening_wd', 'adam', 'adamw_amsgrad',
                                  'rmsprop_centered_momentum', 'adagrad', 'adadelta',
                                  'adamax', 'nadam', 'radam', 'asgd', 'rprop'])
def test_trajectory_complex_param(name):
    """Complex parameters are optimized as pairs of reals (view_as_real)."""
    make = FACTORIES[name]

    def run(lib):
        rng = np.random.default_rng(3)
        init = (rng.standard_normal((3, 2)) + 1j * rng.standard_normal((3, 2))).astype(
            np.complex64)
        p = lib.nn.Parameter(_tensor(lib, init))
        opt = make(lib, [p])
        out = []
        for _ in range(8):
            g = (rng.standard_normal((3, 2)) + 1j * rng.standard_normal((3, 2))).astype(
                np.complex64)
            p.grad = _tensor(lib, g)
            opt.step()
            out.append([np.array(p.detach().numpy())])
        return out

    _assert_trajectories(run(torch), run(ember))


def test_param_groups_and_missing_grads():
    """Per-group options; a parameter without a gradient is skipped and gets no state."""
    def groups(params):
        return [{'params': [params[0]], 'lr': 0.05, 'momentum': 0.9},
                {'params': [params[1], params[2]], 'weight_decay': 0.1}]

    def run(lib):
        inits, grads = _data([(3,), (2, 2), (4,)], 10, 'float32')
        params = [lib.nn.Parameter(_tensor(lib, a)) for a in inits]
        opt = lib.optim.SGD(groups(params), lr=0.1)
        out = []
        for k in range(10):
            params[0].grad = _tensor(lib, grads[k][0])
            params[1].grad = _tensor(lib, grads[k][1])   # params[2] never has a gradient
            opt.step()
            out.append([np.array(p.detach().numpy()) for p in params])
        return out, opt

    t, topt = run(torch)
    e, eopt = run(ember)
    _assert_trajectories(t, e)
    assert_same(eopt.state_dict(), topt.state_dict())


@pytest.mark.parametrize('name', ['adam', 'adamw_amsgrad', 'nadam', 'radam', 'rmsprop',
                                  'adagrad', 'adamax', 'adadelta', 'asgd', 'rprop'])
def test_param_groups_adaptive(name):
    make = FACTORIES[name]

    def groups(params):
        return [{'params': [params[0]]}, {'params': [params[1]], 'lr': 0.003}]

    t, topt, _ = _trajectory(torch, make, groups=groups, steps=10)
    e, eopt, _ = _trajectory(ember, make, groups=groups, steps=10)
    _assert_trajectories(t, e)
    assert_same(eopt.state_dict(), topt.state_dict(), rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------------------
# state dicts: PyTorch's layout, and round trips in both directions
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize('name', IDS)
def test_state_dict_layout(name):
    """Same keys, group options, integer param ids, and state tensors with PyTorch's names,
    dtypes, shapes, strides and values."""
    make = FACTORIES[name]
    _, topt, _ = _trajectory(torch, make, steps=3)
    _, eopt, _ = _trajectory(ember, make, steps=3)
    assert_same(eopt.state_dict(), topt.state_dict(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('name', IDS)
def test_state_dict_round_trip(name):
    """torch -> ember: a PyTorch state loads into ember and both continue identically;
    ember -> torch: ember's state loads into PyTorch and gives back the same state dict."""
    make = FACTORIES[name]
    inits, grads = _data([(3, 4), (5,)], 10, 'float32', seed=1)
    tparams = [torch.nn.Parameter(torch.tensor(a)) for a in inits]
    topt = make(torch, tparams)
    for k in range(5):
        for p, g in zip(tparams, grads[k]):
            p.grad = torch.tensor(g)
        topt.step()

    eparams = [ember.nn.Parameter(ember.tensor(p.detach().numpy().copy())) for p in tparams]
    eopt = make(ember, eparams)
    eopt.load_state_dict(to_ember(topt.state_dict()))
    assert_same(eopt.state_dict(), topt.state_dict())
    for k in range(5, 10):
        for tp, ep, g in zip(tparams, eparams, grads[k]):
            tp.grad = torch.tensor(g)
            ep.grad = ember.tensor(g)
        topt.step()
        eopt.step()
        for tp, ep in zip(tparams, eparams):
            np.testing.assert_allclose(ep.detach().numpy(), tp.detach().numpy(), rtol=1e-5,
                                       atol=1e-6)

    # and back: ember's state dict loads into a fresh PyTorch optimizer
    tparams2 = [torch.nn.Parameter(torch.tensor(p.detach().numpy().copy())) for p in eparams]
    topt2 = make(torch, tparams2)
    topt2.load_state_dict(to_torch(eopt.state_dict()))
    assert_same(eopt.state_dict(), topt2.state_dict())


@pytest.mark.parametrize('name', ['sgd_momentum_dampening_wd', 'adam_amsgrad_wd_maximize',
                                  'nadam', 'asgd'])
def test_checkpoint_files_between_libraries(name, tmp_path):
    """Optimizer and scheduler state saved with ember.save loads with torch.load (its
    default weights_only=True), and the reverse."""
    make = FACTORIES[name]
    _, eopt, eparams = _trajectory(ember, make, steps=4)
    esched = ember.optim.lr_scheduler.MultiStepLR(eopt, [2, 5], gamma=0.5)
    eopt.step()
    esched.step()
    ember.save({'optim': eopt.state_dict(), 'sched': esched.state_dict()},
               tmp_path / 'ember.pt')
    loaded = torch.load(tmp_path / 'ember.pt')
    tparams = [torch.nn.Parameter(torch.tensor(p.detach().numpy().copy())) for p in eparams]
    topt = make(torch, tparams)
    tsched = torch.optim.lr_scheduler.MultiStepLR(topt, [2, 5], gamma=0.5)
    tsched.load_state_dict(loaded['sched'])
    topt.load_state_dict(loaded['optim'])
    assert_same(eopt.state_dict(), topt.state_dict())
    assert tsched.state_dict() == esched.state_dict()

    torch.save({'optim': topt.state_dict(), 'sched': tsched.state_dict()}, tmp_path / 't.pt')
    back = ember.load(tmp_path / 't.pt')
    eopt.load_state_dict(back['optim'])
    esched.load_state_dict(back['sched'])
    assert_same(eopt.state_dict(), topt.state_dict())


def test_state_dict_is_live_and_loading_copies_groups():
    p = ember.nn.Parameter(ember.ones(2))
    opt = ember.optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = ember.ones(2)
    opt.step()
    sd = opt.state_dict()
    assert sd['state'][0] is opt.state[p]            # PyTorch returns the live dicts
    sd['param_groups'][0]['lr'] = 0.5
    assert opt.param_groups[0]['lr'] == 0.1          # groups are copies
    opt2 = ember.optim.SGD([ember.nn.Parameter(ember.ones(2))], lr=0.1)
    opt2.load_state_dict(sd)
    sd['param_groups'][0]['lr'] = 0.7
    assert opt2.param_groups[0]['lr'] == 0.5         # load deep-copies the groups


def test_load_state_dict_casts_to_param_dtype():
    def fn(lib):
        p = lib.nn.Parameter(lib.ones(3, dtype=lib.float64))
        opt = lib.optim.Adam([p])
        sd = {'state': {0: {'step': lib.tensor(2.0), 'exp_avg': lib.ones(3),
                            'exp_avg_sq': lib.ones(3)}},
              'param_groups': [dict(opt.state_dict()['param_groups'][0])]}
        opt.load_state_dict(sd)
        return opt.state[p]
    check_value(fn)


def test_load_old_state_dict_with_python_step():
    """A state saved by old releases holds ``step`` as a number: it becomes a tensor."""
    def fn(lib):
        p = lib.nn.Parameter(lib.ones(3))
        opt = lib.optim.Adam([p])
        group = dict(opt.state_dict()['param_groups'][0])
        opt.load_state_dict({'state': {0: {'step': 4, 'exp_avg': lib.ones(3),
                                           'exp_avg_sq': lib.ones(3)}},
                             'param_groups': [group]})
        p.grad = lib.ones(3)
        opt.step()
        return opt.state[p]['step'], p
    check_value(fn)


@pytest.mark.parametrize('bad', ['groups', 'sizes'])
def test_load_state_dict_mismatch(bad):
    def fn(lib):
        a, b = lib.nn.Parameter(lib.ones(2)), lib.nn.Parameter(lib.ones(2))
        opt = lib.optim.SGD([a, b], lr=0.1)
        other = lib.optim.SGD([{'params': [a]}, {'params': [b]}] if bad == 'groups'
                              else [a], lr=0.1)
        opt.load_state_dict(other.state_dict())
    check(fn, match_message=True)


def test_state_dict_param_names():
    def fn(lib):
        model = lib.nn.Linear(2, 3)
        opt = lib.optim.SGD(model.named_parameters(), lr=0.1, momentum=0.9)
        model(lib.ones(4, 2)).sum().backward()
        opt.step()
        sd = opt.state_dict()
        return sd['param_groups'][0]['param_names'], sd['param_groups'][0]['params'], \
            list(sd['state'].keys())
    check_value(fn)


def test_adam_state_dict_default_float64():
    """``step`` follows the default dtype (float64 under set_default_dtype(float64))."""
    def fn(lib):
        lib.set_default_dtype(lib.float64)
        try:
            p = lib.nn.Parameter(lib.ones(2))
            opt = lib.optim.Adam([p])
            p.grad = lib.ones(2)
            opt.step()
            return opt.state_dict()['state'][0]['step']
        finally:
            lib.set_default_dtype(lib.float32)
    check_value(fn)


# ---------------------------------------------------------------------------------------
# the Optimizer base
# ---------------------------------------------------------------------------------------
REPRS = ['sgd_momentum_dampening_wd', 'adam', 'adamw', 'rmsprop', 'adagrad', 'adadelta',
         'adamax', 'nadam', 'radam', 'asgd', 'rprop']


@pytest.mark.parametrize('name', REPRS)
def test_repr(name):
    make = FACTORIES[name]
    check_value(lambda lib: repr(make(lib, [{'params': [lib.nn.Parameter(lib.ones(2))]},
                                      {'params': [lib.nn.Parameter(lib.ones(2))],
                                       'lr': 0.5}])))


def test_repr_sgd_exact():
    opt = ember.optim.SGD([ember.nn.Parameter(ember.ones(1))], lr=0.1)
    assert repr(opt) == ('SGD (\nParameter Group 0\n    dampening: 0\n    differentiable: '
                         'False\n    foreach: None\n    fused: None\n    lr: 0.1\n    '
                         'maximize: False\n    momentum: 0\n    nesterov: False\n    '
                         'weight_decay: 0\n)')


def test_param_group_defaults_and_order():
    check_value(lambda lib: [list(g.items())[1:] for g in lib.optim.Adam(
        [{'params': [lib.nn.Parameter(lib.ones(1))], 'lr': 0.5, 'betas': (0.5, 0.6)}],
        lr=0.1).param_groups])


def test_params_forms():
    """A single tensor, a generator, dicts and (name, tensor) pairs."""
    def fn(lib):
        m = lib.nn.Linear(2, 2)
        a = lib.optim.SGD(m.parameters(), lr=0.1)
        b = lib.optim.SGD([{'params': m.weight}, {'params': (p for p in [m.bias])}], lr=0.1)
        c = lib.optim.SGD(list(m.named_parameters()), lr=0.1)
        return (len(a.param_groups[0]['params']), len(b.param_groups),
                c.param_groups[0]['param_names'])
    check_value(fn)


ERRORS = [
    ('tensor_params', lambda lib: lib.optim.SGD(lib.ones(2, requires_grad=True), lr=0.1)),
    ('empty', lambda lib: lib.optim.SGD([], lr=0.1)),
    ('set', lambda lib: lib.optim.SGD([{'params': {lib.nn.Parameter(lib.ones(1))}}], lr=0.1)),
    ('not_tensor', lambda lib: lib.optim.SGD([1.0], lr=0.1)),
    ('non_leaf', lambda lib: lib.optim.SGD([lib.ones(2, requires_grad=True) * 2], lr=0.1)),
    ('group_not_dict', lambda lib: lib.optim.SGD([lib.nn.Parameter(lib.ones(1))],
                                                 lr=0.1).add_param_group([1])),
    ('duplicate_across_groups', lambda lib: (lambda p: lib.optim.SGD(
        [{'params': [p]}, {'params': [p]}], lr=0.1))(lib.nn.Parameter(lib.ones(1)))),
    ('names_mixed', lambda lib: lib.optim.SGD(
        [('a', lib.nn.Parameter(lib.ones(1))), lib.nn.Parameter(lib.ones(1))], lr=0.1)),
    ('groups_names_mixed', lambda lib: lib.optim.SGD(
        [{'params': [('a', lib.nn.Parameter(lib.ones(1)))]},
         {'params': [lib.nn.Parameter(lib.ones(1))]}], lr=0.1)),
    ('sgd_lr', lambda lib: lib.optim.SGD([lib.nn.Parameter(lib.ones(1))], lr=-1)),
    ('sgd_momentum', lambda lib: lib.optim.SGD([lib.nn.Parameter(lib.ones(1))], momentum=-1)),
    ('sgd_nesterov', lambda lib: lib.optim.SGD([lib.nn.Parameter(lib.ones(1))], lr=0.1,
                                               nesterov=True)),
    ('sgd_tensor_lr_size', lambda lib: lib.optim.SGD([lib.nn.Parameter(lib.ones(1))],
                                                     lr=lib.ones(2))),
    ('adam_beta', lambda lib: lib.optim.Adam([lib.nn.Parameter(lib.ones(1))],
                                             betas=(1.0, 0.9))),
    ('adam_beta_types', lambda lib: lib.optim.Adam([lib.nn.Parameter(lib.ones(1))],
                                                   betas=(0, 0.9))),
    ('adam_eps', lambda lib: lib.optim.Adam([lib.nn.Parameter(lib.ones(1))], eps=-1.0)),
    ('adamw_wd', lambda lib: lib.optim.AdamW([lib.nn.Parameter(lib.ones(1))],
                                             weight_decay=-1.0)),
    ('rmsprop_alpha', lambda lib: lib.optim.RMSprop([lib.nn.Parameter(lib.ones(1))],
                                                    alpha=-1.0)),
    ('adagrad_init', lambda lib: lib.optim.Adagrad([lib.nn.Parameter(lib.ones(1))],
                                                   initial_accumulator_value=-1.0)),
    ('adadelta_rho', lambda lib: lib.optim.Adadelta([lib.nn.Parameter(lib.ones(1))],
                                                    rho=2.0)),
    ('nadam_momentum_decay', lambda lib: lib.optim.NAdam([lib.nn.Parameter(lib.ones(1))],
                                                         momentum_decay=-1.0)),
    ('rprop_etas', lambda lib: lib.optim.Rprop([lib.nn.Parameter(lib.ones(1))],
                                               etas=(1.5, 1.2))),
    ('lbfgs_groups', lambda lib: lib.optim.LBFGS([{'params': [lib.nn.Parameter(lib.ones(1))]},
                                                  {'params': [lib.nn.Parameter(lib.ones(1))]}])),
]


@pytest.mark.parametrize('name', [n for n, _ in ERRORS])
def test_errors(name):
    check(dict(ERRORS)[name], match_message=True)


def test_duplicate_params_in_group_warns():
    for lib in (torch, ember):
        p = lib.nn.Parameter(lib.ones(1))
        with pytest.warns(UserWarning, match='duplicate parameters'):
            lib.optim.SGD([p, p], lr=0.1)


def test_required_option():
    class Plain(ember.optim.Optimizer):
        def __init__(self, params, lr=ember.optim.optimizer.required):
            super().__init__(params, {'lr': lr})

    with pytest.raises(ValueError, match="didn't specify a value of required optimization "
                                         'parameter lr'):
        Plain([ember.nn.Parameter(ember.ones(1))])
    assert repr(ember.optim.optimizer.required) == '<required parameter>'


def test_add_param_group_later():
    def fn(lib):
        a, b = lib.nn.Parameter(lib.ones(2)), lib.nn.Parameter(lib.ones(3))
        opt = lib.optim.Adagrad([a], lr=0.1)
        opt.add_param_group({'params': b, 'lr': 0.01})
        a.grad, b.grad = lib.ones(2), lib.full((3,), 2.0)
        opt.step()
        return a, b, opt.state_dict()
    check_value(fn)


@pytest.mark.parametrize('set_to_none', [True, False])
def test_zero_grad(set_to_none):
    def fn(lib):
        p = lib.nn.Parameter(lib.ones(2))
        q = lib.nn.Parameter(lib.ones(2))
        opt = lib.optim.SGD([p, q], lr=0.1)
        (p * 3).sum().backward()
        g = p.grad
        opt.zero_grad(set_to_none=set_to_none)
        return p.grad, q.grad, g
    check_value(fn)


def test_step_hooks():
    def fn(lib):
        calls = []
        p = lib.nn.Parameter(lib.ones(2))
        opt = lib.optim.SGD([p], lr=0.1)

        def pre(o, args, kwargs):
            calls.append(('pre', len(args), dict(kwargs)))

        def post(o, args, kwargs):
            calls.append(('post', p.detach().clone()))

        h1 = opt.register_step_pre_hook(pre)
        opt.register_step_post_hook(post)
        p.grad = lib.ones(2)
        opt.step()
        h1.remove()
        opt.step()
        return calls
    check_value(fn)


def test_step_pre_hook_replaces_args():
    def fn(lib):
        p = lib.nn.Parameter(lib.ones(2))
        opt = lib.optim.SGD([p], lr=0.1)
        opt.register_step_pre_hook(lambda o, args, kwargs: (args, {'closure': lambda: 7.0}))
        p.grad = lib.ones(2)
        return opt.step(), p
    check_value(fn)


def test_step_pre_hook_bad_return():
    def fn(lib):
        p = lib.nn.Parameter(lib.ones(2))
        opt = lib.optim.SGD([p], lr=0.1)
        opt.register_step_pre_hook(lambda o, args, kwargs: 3)
        p.grad = lib.ones(2)
        opt.step()
    check(fn)


def test_global_step_hooks():
    calls = []
    from ember.optim.optimizer import (register_optimizer_step_post_hook,
                                       register_optimizer_step_pre_hook)
    h1 = register_optimizer_step_pre_hook(lambda o, a, k: calls.append('pre'))
    h2 = register_optimizer_step_post_hook(lambda o, a, k: calls.append('post'))
    try:
        p = ember.nn.Parameter(ember.ones(1))
        opt = ember.optim.Adam([p])
        p.grad = ember.ones(1)
        opt.step()
    finally:
        h1.remove()
        h2.remove()
    opt.step()
    assert calls == ['pre', 'post']


def test_state_dict_hooks():
    p = ember.nn.Parameter(ember.ones(1))
    opt = ember.optim.SGD([p], lr=0.1)
    seen = []
    opt.register_state_dict_pre_hook(lambda o: seen.append('pre'))
    opt.register_state_dict_post_hook(lambda o, sd: {**sd, 'extra': 1})
    opt.register_load_state_dict_pre_hook(lambda o, sd: seen.append('load_pre'))
    opt.register_load_state_dict_post_hook(lambda o: seen.append('load_post'))
    sd = opt.state_dict()
    assert sd['extra'] == 1
    opt.load_state_dict(sd)
    assert seen == ['pre', 'load_pre', 'load_post']


def test_closure_and_return_value():
    def fn(lib):
        p = lib.nn.Parameter(lib.tensor([1.0, -2.0]))
        opt = lib.optim.Adam([p], lr=0.1)
        losses = []
        for _ in range(5):
            def closure():
                opt.zero_grad()
                loss = (p ** 2).sum()
                loss.backward()
                return loss
            losses.append(opt.step(closure))
        return losses, p
    check_value(fn)


def test_step_runs_without_grad_and_bumps_version():
    """The update is in place: a graph that saved the parameter can no longer backward."""
    def fn(lib):
        p = lib.nn.Parameter(lib.ones(2))
        opt = lib.optim.SGD([p], lr=0.1)
        y = (p * p).sum()
        p.grad = lib.ones(2)
        opt.step()
        y.backward()
    check(fn)


def test_view_of_parameter_sees_update():
    def fn(lib):
        p = lib.nn.Parameter(lib.ones(2, 2))
        v = p.detach()[0]
        opt = lib.optim.SGD([p], lr=0.5)
        p.grad = lib.ones(2, 2)
        opt.step()
        return v, p.requires_grad, p.is_leaf, p.grad
    check_value(fn)


def test_custom_optimizer_subclass():
    """A PyTorch-style optimizer written against the base class runs unchanged."""
    def fn(lib):
        class Sign(lib.optim.Optimizer):
            def __init__(self, params, lr=0.1):
                super().__init__(params, {'lr': lr})

            @lib.no_grad()
            def step(self, closure=None):
                for group in self.param_groups:
                    for p in group['params']:
                        if p.grad is None:
                            continue
                        state = self.state[p]
                        state['n'] = state.get('n', 0) + 1
                        p.add_(p.grad.sign(), alpha=-group['lr'])

        p = lib.nn.Parameter(lib.tensor([1.0, -1.0, 0.5]))
        opt = Sign([p], lr=0.25)
        seen = []
        opt.register_step_post_hook(lambda o, a, k: seen.append(1))
        for _ in range(3):
            p.grad = lib.tensor([1.0, -2.0, 0.0])
            opt.step()
        return p, opt.state_dict(), seen, repr(opt)
    check_value(fn)


def test_subclass_calling_super_step():
    """As in PyTorch, an overriding step that calls the (already wrapped) base step runs the
    hooks twice."""
    def fn(lib):
        lib.optim.SGD([lib.nn.Parameter(lib.ones(1))], lr=0.1)

        class Counting(lib.optim.SGD):
            def step(self, closure=None):
                return super().step(closure)

        p = lib.nn.Parameter(lib.ones(1))
        opt = Counting([p], lr=0.1)
        seen = []
        opt.register_step_pre_hook(lambda o, a, k: seen.append(1))
        p.grad = lib.ones(1)
        opt.step()
        return seen, p
    check_value(fn)


def test_deepcopy_and_pickle():
    p = ember.nn.Parameter(ember.ones(3))
    opt = ember.optim.Adam([p], lr=0.1)
    p.grad = ember.ones(3)
    opt.step()
    clone = copy.deepcopy(opt)
    q = clone.param_groups[0]['params'][0]
    assert q is not p and q in clone.state
    np.testing.assert_allclose(clone.state[q]['exp_avg'].numpy(), opt.state[p]['exp_avg'].numpy())
    restored = pickle.loads(pickle.dumps(opt.state_dict()))
    assert restored['state'][0]['step'].item() == 1.0


def test_differentiable_not_supported():
    with pytest.raises(NotImplementedError):
        ember.optim.SGD([ember.nn.Parameter(ember.ones(1))], lr=0.1, differentiable=True)


def test_sgd_by_hand():
    """Hand-computed momentum SGD values."""
    p = ember.nn.Parameter(ember.tensor([1.0, 2.0]))
    opt = ember.optim.SGD([p], lr=0.5, momentum=0.5)
    p.grad = ember.tensor([1.0, -1.0])
    opt.step()                       # buf = g; p = p - 0.5 g
    assert p.tolist() == [0.5, 2.5]
    opt.step()                       # buf = 0.5 g + g = 1.5 g
    assert p.tolist() == [-0.25, 3.25]


def test_adam_first_step_by_hand():
    """Adam's first step moves each coordinate by lr * sign(g) (up to eps)."""
    p = ember.nn.Parameter(ember.tensor([1.0, 2.0, 3.0], dtype=ember.float64))
    opt = ember.optim.Adam([p], lr=0.1, eps=0.0)
    p.grad = ember.tensor([3.0, -0.5, 1e-3], dtype=ember.float64)
    opt.step()
    np.testing.assert_allclose(p.numpy(force=True), [0.9, 2.1, 2.9], rtol=1e-12)


def test_training_a_linear_model():
    """End to end: fit y = 2x + 1 with a Linear layer."""
    ember.manual_seed(0)
    model = ember.nn.Linear(1, 1)
    opt = ember.optim.Adam(model.parameters(), lr=0.1)
    x = ember.linspace(-1, 1, 32).reshape(32, 1)
    y = 2 * x + 1
    for _ in range(300):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
    assert loss.item() < 1e-4
    np.testing.assert_allclose(model.weight.item(), 2.0, atol=1e-2)
    np.testing.assert_allclose(model.bias.item(), 1.0, atol=1e-2)


def test_functional_forms():
    """``optim._functional.adam`` and friends update lists of tensors in place."""
    def fn(lib):
        p = lib.nn.Parameter(lib.tensor([1.0, -2.0, 0.5]))
        g = lib.tensor([0.3, -0.1, 0.2])
        m, v, step = lib.zeros(3), lib.zeros(3), lib.tensor(0.0)
        buf = [None]
        with lib.no_grad():
            lib.optim._functional.adam([p], [g], [m], [v], [], [step], amsgrad=False,
                                       beta1=0.9, beta2=0.99, lr=0.1, weight_decay=0.0,
                                       eps=1e-8, maximize=False)
            lib.optim._functional.sgd([p], [g], buf, weight_decay=0.0, momentum=0.9,
                                      lr=0.1, dampening=0.0, nesterov=False, maximize=False)
        return p, m, v, step, buf
    check_value(fn)


# which state lives on the parameter's device (PyTorch keeps most 'step' counters on cpu)
DEVICE_STATE = [
    ('sgd_momentum_dampening_wd', {'momentum_buffer': 'cuda'}),
    ('adam', {'step': 'cpu', 'exp_avg': 'cuda', 'exp_avg_sq': 'cuda'}),
    ('rmsprop_centered_momentum', {'step': 'cpu', 'square_avg': 'cuda',
                                   'momentum_buffer': 'cuda', 'grad_avg': 'cuda'}),
    ('adagrad', {'step': 'cpu', 'sum': 'cuda'}),
    ('nadam', {'step': 'cpu', 'mu_product': 'cpu', 'exp_avg': 'cuda', 'exp_avg_sq': 'cuda'}),
    ('asgd', {'step': 'cuda', 'eta': 'cuda', 'mu': 'cuda', 'ax': 'cuda'}),
    ('rprop', {'step': 'cpu', 'prev': 'cuda', 'step_size': 'cuda'}),
]


@pytest.mark.parametrize('name, devices', DEVICE_STATE, ids=[n for n, _ in DEVICE_STATE])
def test_simulated_cuda(name, devices):
    """On another device the updates are the same and state follows PyTorch's placement."""
    from ember.testing import simulated_cuda
    make = FACTORIES[name]
    inits, grads = _data([(3, 2)], 5, 'float32')
    results = {}
    with simulated_cuda():
        for dev in ('cpu', 'cuda'):
            p = ember.nn.Parameter(ember.tensor(inits[0], device=dev))
            opt = make(ember, [p])
            for k in range(5):
                p.grad = ember.tensor(grads[k][0], device=dev)
                opt.step()
            results[dev] = p.detach().cpu().numpy()
            state = opt.state_dict()['state'][0]
        assert {k: v.device.type for k, v in state.items()} == devices
    np.testing.assert_array_equal(results['cuda'], results['cpu'])


def test_lbfgs_simulated_cuda():
    from ember.testing import simulated_cuda
    with simulated_cuda():
        x = ember.nn.Parameter(ember.tensor([-1.5, 2.0], device='cuda'))
        opt = ember.optim.LBFGS([x], line_search_fn='strong_wolfe')

        def closure():
            opt.zero_grad()
            loss = (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
            loss.backward()
            return loss

        for _ in range(3):
            opt.step(closure)
        assert opt.state[x]['d'].device.type == 'cuda'
        np.testing.assert_allclose(x.detach().cpu().numpy(), [1.0, 1.0], atol=1e-3)


# ---------------------------------------------------------------------------------------
# LBFGS
# ---------------------------------------------------------------------------------------
def _rosenbrock_run(lib, line_search_fn, steps, dtype='float32', **kwargs):
    x = lib.nn.Parameter(lib.tensor([-1.5, 2.0], dtype=getattr(lib, dtype)))
    opt = lib.optim.LBFGS([x], line_search_fn=line_search_fn, **kwargs)
    losses = []

    def closure():
        opt.zero_grad()
        loss = (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
        loss.backward()
        return loss

    for _ in range(steps):
        losses.append(opt.step(closure).item())
    return np.array(x.detach().numpy()), losses, opt


@pytest.mark.parametrize('line_search_fn, steps', [(None, 1), (None, 3), ('strong_wolfe', 1),
                                                   ('strong_wolfe', 4)])
def test_lbfgs_rosenbrock_float64(line_search_fn, steps):
    """In float64 the iterates, losses and evaluation counts follow PyTorch's."""
    tx, tl, topt = _rosenbrock_run(torch, line_search_fn, steps, 'float64')
    ex, el, eopt = _rosenbrock_run(ember, line_search_fn, steps, 'float64')
    np.testing.assert_allclose(ex, tx, rtol=1e-5)
    np.testing.assert_allclose(el, tl, rtol=1e-4, atol=1e-12)
    ts, es = topt.state_dict()['state'][0], eopt.state_dict()['state'][0]
    assert list(es.keys()) == list(ts.keys())
    assert (es['func_evals'], es['n_iter']) == (ts['func_evals'], ts['n_iter'])
    assert len(es['old_dirs']) == len(ts['old_dirs'])
    if line_search_fn and steps > 1:
        np.testing.assert_allclose(ex, [1.0, 1.0], atol=1e-5)


@pytest.mark.parametrize('line_search_fn', [None, 'strong_wolfe'])
def test_lbfgs_rosenbrock_float32(line_search_fn):
    """In float32 the first step (20 inner iterations) agrees closely; later rounding
    differences grow on this ill-conditioned problem, but both converge to (1, 1)."""
    tx, tl, _ = _rosenbrock_run(torch, line_search_fn, 1)
    ex, el, _ = _rosenbrock_run(ember, line_search_fn, 1)
    np.testing.assert_allclose(ex, tx, rtol=1e-4)
    steps = 3 if line_search_fn else 12
    tx, tl, _ = _rosenbrock_run(torch, line_search_fn, steps)
    ex, el, _ = _rosenbrock_run(ember, line_search_fn, steps)
    np.testing.assert_allclose(tx, [1.0, 1.0], atol=1e-3)
    np.testing.assert_allclose(ex, [1.0, 1.0], atol=1e-3)


def test_lbfgs_short_history():
    tx, tl, _ = _rosenbrock_run(torch, None, 4, 'float64', history_size=3, max_iter=5,
                                lr=0.5)
    ex, el, _ = _rosenbrock_run(ember, None, 4, 'float64', history_size=3, max_iter=5,
                                lr=0.5)
    np.testing.assert_allclose(ex, tx, rtol=1e-8)
    np.testing.assert_allclose(el, tl, rtol=1e-8)


def test_lbfgs_quadratic_converges_and_stops():
    def fn(lib):
        w = lib.nn.Parameter(lib.tensor([3.0, -2.0, 1.0], dtype=lib.float64))
        a = lib.tensor([1.0, 10.0, 100.0], dtype=lib.float64)
        opt = lib.optim.LBFGS([w], line_search_fn='strong_wolfe')

        def closure():
            opt.zero_grad()
            loss = (a * w ** 2).sum()
            loss.backward()
            return loss
        opt.step(closure)
        state = opt.state[w]
        return w, state['func_evals'], state['n_iter']
    check_value(fn, atol=1e-8)


def test_lbfgs_state_dict_round_trip():
    _, _, topt = _rosenbrock_run(torch, 'strong_wolfe', 1)
    x = ember.nn.Parameter(ember.tensor(topt.param_groups[0]['params'][0].detach().numpy()))
    eopt = ember.optim.LBFGS([x], line_search_fn='strong_wolfe')
    eopt.load_state_dict(to_ember(topt.state_dict()))
    assert_same(eopt.state_dict(), topt.state_dict())

    def closure():
        eopt.zero_grad()
        loss = (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
        loss.backward()
        return loss

    for _ in range(3):
        eopt.step(closure)
    np.testing.assert_allclose(x.detach().numpy(), [1.0, 1.0], atol=1e-4)


# ---------------------------------------------------------------------------------------
# swa_utils
# ---------------------------------------------------------------------------------------
def _averaging_run(lib, kind):
    from_numpy = lambda a: lib.tensor(np.array(a, dtype=np.float32))  # noqa: E731
    model = lib.nn.Linear(3, 2)
    with lib.no_grad():
        model.weight.copy_(from_numpy(np.arange(6).reshape(2, 3) / 10))
        model.bias.copy_(from_numpy([0.5, -0.5]))
    swa = lib.optim.swa_utils
    if kind == 'swa':
        avg = swa.AveragedModel(model)
    elif kind == 'ema':
        avg = swa.AveragedModel(model, multi_avg_fn=swa.get_ema_multi_avg_fn(0.9))
    elif kind == 'ema_single':
        avg = swa.AveragedModel(model, avg_fn=swa.get_ema_avg_fn(0.8))
    else:
        avg = swa.AveragedModel(model, multi_avg_fn=swa.get_swa_multi_avg_fn(),
                                use_buffers=True)
    for k in range(4):
        with lib.no_grad():
            model.weight.mul_(1.5).add_(0.1 * k)
            model.bias.sub_(0.2)
        avg.update_parameters(model)
    out = avg(from_numpy(np.ones((1, 3))))
    return avg.module.weight, avg.module.bias, avg.n_averaged, out, \
        list(avg.state_dict().keys())


@pytest.mark.parametrize('kind', ['swa', 'ema', 'ema_single', 'swa_multi_buffers'])
def test_averaged_model(kind):
    check_value(lambda lib: _averaging_run(lib, kind))


def test_ema_decay_error():
    check(lambda lib: lib.optim.swa_utils.get_ema_multi_avg_fn(1.5), match_message=True)


def test_update_bn():
    if not hasattr(ember.nn, 'BatchNorm1d'):
        pytest.skip('ember.nn.BatchNorm1d is not available yet')

    def fn(lib):
        lib.manual_seed(0)
        model = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4))
        data = [lib.tensor(np.arange(12, dtype=np.float32).reshape(4, 3) * k) for k in (1, 2)]
        loader = [(x, 0) for x in data]
        model.eval()
        lib.optim.swa_utils.update_bn(loader, model)
        bn = model[1]
        return bn.running_mean, bn.running_var, bn.momentum, model.training
    check_value(fn)


def test_update_bn_without_batchnorm_is_a_no_op():
    model = ember.nn.Linear(2, 2)
    ember.optim.swa_utils.update_bn([ember.ones(1, 2)], model)
    assert model.training
