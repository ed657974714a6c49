"""ember.optim.lr_scheduler (and swa_utils.SWALR) against PyTorch: the learning rate (and
momentum) sequence of every scheduler over 30 steps, state dicts in PyTorch's layout and
their round trips, ReduceLROnPlateau's decisions, closed forms and errors."""
import math
import warnings

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

STEPS = 30


def _optimizer(lib, kind='sgd'):
    """Two parameter groups with different learning rates."""
    a, b = lib.nn.Parameter(lib.zeros(2)), lib.nn.Parameter(lib.zeros(3))
    groups = [{'params': [a]}, {'params': [b], 'lr': 0.05}]
    if kind == 'sgd':
        return lib.optim.SGD(groups, lr=0.1, momentum=0.9)
    if kind == 'adam':
        return lib.optim.Adam(groups, lr=0.1)
    return lib.optim.Adagrad(groups, lr=0.1)


def _lr_sched(lib):
    return lib.optim.lr_scheduler


class Scale:
    """A callable object as lr_lambda: its __dict__ goes into the state dict."""

    def __init__(self, factor):
        self.factor = factor

    def __call__(self, epoch):
        return self.factor ** epoch


# (name, optimizer kind, factory(lib, optimizer))
SCHEDULERS = [
    ('step', 'sgd', lambda L, o: _lr_sched(L).StepLR(o, step_size=3, gamma=0.5)),
    ('multistep', 'sgd', lambda L, o: _lr_sched(L).MultiStepLR(o, [3, 7, 7, 12], gamma=0.3)),
    ('exponential', 'sgd', lambda L, o: _lr_sched(L).ExponentialLR(o, gamma=0.9)),
    ('cosine', 'sgd', lambda L, o: _lr_sched(L).CosineAnnealingLR(o, T_max=7, eta_min=0.001)),
    ('cosine_no_min', 'adam', lambda L, o: _lr_sched(L).CosineAnnealingLR(o, T_max=10)),
    ('warm_restarts', 'sgd', lambda L, o: _lr_sched(L).CosineAnnealingWarmRestarts(
        o, T_0=4, T_mult=2, eta_min=0.01)),
    ('warm_restarts_mult1', 'sgd', lambda L, o: _lr_sched(L).CosineAnnealingWarmRestarts(
        o, T_0=5)),
    ('onecycle_cos', 'sgd', lambda L, o: _lr_sched(L).OneCycleLR(o, max_lr=[1.0, 0.5],
                                                                 total_steps=31)),
    ('onecycle_linear_three_phase', 'sgd', lambda L, o: _lr_sched(L).OneCycleLR(
        o, max_lr=0.8, epochs=4, steps_per_epoch=8, anneal_strategy='linear',
        three_phase=True, pct_start=0.25)),
    ('onecycle_adam_betas', 'adam', lambda L, o: _lr_sched(L).OneCycleLR(
        o, max_lr=0.01, total_steps=40, base_momentum=0.8, max_momentum=0.9)),
    ('onecycle_no_momentum', 'adagrad', lambda L, o: _lr_sched(L).OneCycleLR(
        o, max_lr=0.3, total_steps=35, cycle_momentum=False, div_factor=10.0,
        final_div_factor=100.0)),
    ('linear', 'sgd', lambda L, o: _lr_sched(L).LinearLR(o, start_factor=0.25,
                                                         total_iters=6)),
    ('linear_down', 'sgd', lambda L, o: _lr_sched(L).LinearLR(o, start_factor=1.0,
                                                              end_factor=0.5, total_iters=9)),
    ('constant', 'sgd', lambda L, o: _lr_sched(L).ConstantLR(o, factor=0.5, total_iters=4)),
    ('lambda', 'sgd', lambda L, o: _lr_sched(L).LambdaLR(o, lambda e: 0.95 ** e)),
    ('lambda_list', 'sgd', lambda L, o: _lr_sched(L).LambdaLR(
        o, [lambda e: 1.0 / (e + 1), Scale(0.9)])),
    ('multiplicative', 'sgd', lambda L, o: _lr_sched(L).MultiplicativeLR(o, lambda e: 0.9)),
    ('cyclic_triangular', 'sgd', lambda L, o: _lr_sched(L).CyclicLR(
        o, base_lr=0.01, max_lr=0.1, step_size_up=4)),
    ('cyclic_triangular2', 'sgd', lambda L, o: _lr_sched(L).CyclicLR(
        o, base_lr=[0.01, 0.02], max_lr=[0.1, 0.2], step_size_up=3, step_size_down=5,
        mode='triangular2', base_momentum=0.7, max_momentum=0.95)),
    ('cyclic_exp_range', 'sgd', lambda L, o: _lr_sched(L).CyclicLR(
        o, base_lr=0.01, max_lr=0.1, step_size_up=5, mode='exp_range', gamma=0.95)),
    ('cyclic_adam', 'adam', lambda L, o: _lr_sched(L).CyclicLR(
        o, base_lr=0.001, max_lr=0.01, step_size_up=6)),
    ('cyclic_scale_fn', 'adagrad', lambda L, o: _lr_sched(L).CyclicLR(
        o, base_lr=0.01, max_lr=0.1, step_size_up=4, scale_fn=lambda x: 1 / (1.0 + x),
        scale_mode='iterations', cycle_momentum=False)),
    ('polynomial', 'sgd', lambda L, o: _lr_sched(L).PolynomialLR(o, total_iters=10, power=2.0)),
    ('polynomial_linear', 'sgd', lambda L, o: _lr_sched(L).PolynomialLR(o)),
    ('sequential', 'sgd', lambda L, o: _lr_sched(L).SequentialLR(
        o, [_lr_sched(L).LinearLR(o, start_factor=0.1, total_iters=5),
            _lr_sched(L).ExponentialLR(o, gamma=0.9)], milestones=[5])),
    ('sequential_three', 'sgd', lambda L, o: _lr_sched(L).SequentialLR(
        o, [_lr_sched(L).ConstantLR(o, factor=0.5, total_iters=10),
            _lr_sched(L).CosineAnnealingLR(o, T_max=8),
            _lr_sched(L).StepLR(o, step_size=4, gamma=0.5)], milestones=[4, 12])),
    ('chained', 'sgd', lambda L, o: _lr_sched(L).ChainedScheduler(
        [_lr_sched(L).ConstantLR(o, factor=0.5, total_iters=4),
         _lr_sched(L).ExponentialLR(o, gamma=0.9)])),
    ('chained_step_multistep', 'sgd', lambda L, o: _lr_sched(L).ChainedScheduler(
        [_lr_sched(L).StepLR(o, 4, 0.5), _lr_sched(L).MultiStepLR(o, [5, 9], 0.1)],
        optimizer=o)),
    ('swalr_cos', 'sgd', lambda L, o: L.optim.swa_utils.SWALR(o, swa_lr=0.02,
                                                              anneal_epochs=5)),
    ('swalr_linear', 'sgd', lambda L, o: L.optim.swa_utils.SWALR(
        o, swa_lr=[0.3, 0.01], anneal_epochs=7, anneal_strategy='linear')),
    ('swalr_no_anneal', 'sgd', lambda L, o: L.optim.swa_utils.SWALR(o, swa_lr=0.02,
                                                                    anneal_epochs=0)),
]
NAMES = [name for name, _, _ in SCHEDULERS]
TABLE = {name: (kind, make) for name, kind, make in SCHEDULERS}


def _momenta(opt):
    out = []
    for g in opt.param_groups:
        if 'betas' in g:
            out.append(g['betas'])
        elif 'momentum' in g:
            out.append(g['momentum'])
    return out


def _run(lib, name, steps=STEPS):
    kind, make = TABLE[name]
    opt = _optimizer(lib, kind)
    sched = make(lib, opt)
    record = [(sched.get_last_lr(), [g['lr'] for g in opt.param_groups], _momenta(opt))]
    for _ in range(steps):
        opt.step()
        sched.step()
        record.append((sched.get_last_lr(), [g['lr'] for g in opt.param_groups],
                       _momenta(opt)))
    return record, opt, sched


@pytest.mark.parametrize('name', NAMES)
def test_lr_sequence(name):
    """Learning rates and momenta after construction and each of 30 steps."""
    check_value(lambda lib: _run(lib, name)[0], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize('name', NAMES)
def test_state_dict_layout(name):
    """Same keys in the same order and the same values (functions saved as None)."""
    check_value(lambda lib: _run(lib, name, steps=7)[2].state_dict(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize('name', NAMES)
def test_optimizer_groups_after_schedule(name):
    """The keys schedulers add to the groups (initial_lr, max_lr, swa_lr...)."""
    check_value(lambda lib: _run(lib, name, steps=5)[1].state_dict()['param_groups'],
          rtol=1e-12, atol=1e-15)


def _to_ember(obj):
    if isinstance(obj, torch.Tensor):
        return ember.tensor(obj.detach().numpy().copy())
    if isinstance(obj, dict):
        return type(obj)((k, _to_ember(v)) for k, v in obj.items())
    if isinstance(obj, list):
        return [_to_ember(v) for v in obj]
    return obj


def _to_torch(obj):
    if isinstance(obj, ember.Tensor):
        return torch.from_numpy(np.array(obj.detach().numpy()))
    if isinstance(obj, dict):
        return type(obj)((k, _to_torch(v)) for k, v in obj.items())
    if isinstance(obj, list):
        return [_to_torch(v) for v in obj]
    return obj


def _resume(lib, name, opt_state, sched_state, steps):
    """A fresh optimizer and scheduler restored from state dicts, stepped ``steps`` times."""
    kind, make = TABLE[name]
    opt = _optimizer(lib, kind)
    sched = make(lib, opt)
    sched.load_state_dict(sched_state)
    opt.load_state_dict(opt_state)
    lrs = []
    for _ in range(steps):
        opt.step()
        sched.step()
        lrs.append((sched.get_last_lr(), [g['lr'] for g in opt.param_groups], _momenta(opt)))
    return lrs, sched


@pytest.mark.parametrize('name', NAMES)
def test_state_dict_round_trip(name):
    """PyTorch's state loads into ember and continues as PyTorch does; ember's state loads
    back into PyTorch."""
    _, topt, tsched = _run(torch, name, steps=10)
    expected = []
    for _ in range(10):
        topt.step()
        tsched.step()
        expected.append((tsched.get_last_lr(), [g['lr'] for g in topt.param_groups],
                         _momenta(topt)))

    _, topt, tsched = _run(torch, name, steps=10)
    got, esched = _resume(ember, name, _to_ember(topt.state_dict()), tsched.state_dict(), 10)
    assert_same(got, expected, rtol=1e-12, atol=1e-15)

    _, eopt, esched = _run(ember, name, steps=10)
    back, _ = _resume(torch, name, _to_torch(eopt.state_dict()), esched.state_dict(), 10)
    assert_same(back, expected, rtol=1e-12, atol=1e-15)


CLOSED_FORM = [
    ('step', lambda L, o: _lr_sched(L).StepLR(o, step_size=3, gamma=0.5)),
    ('multistep', lambda L, o: _lr_sched(L).MultiStepLR(o, [3, 7, 7], gamma=0.3)),
    ('exponential', lambda L, o: _lr_sched(L).ExponentialLR(o, gamma=0.9)),
    ('cosine', lambda L, o: _lr_sched(L).CosineAnnealingLR(o, T_max=7, eta_min=0.001)),
    ('linear', lambda L, o: _lr_sched(L).LinearLR(o, start_factor=0.25, total_iters=6)),
    ('constant', lambda L, o: _lr_sched(L).ConstantLR(o, factor=0.5, total_iters=4)),
    ('polynomial', lambda L, o: _lr_sched(L).PolynomialLR(o, total_iters=10, power=2.0)),
    ('lambda', lambda L, o: _lr_sched(L).LambdaLR(o, lambda e: 0.5 ** e)),
    ('warm_restarts', lambda L, o: _lr_sched(L).CosineAnnealingWarmRestarts(o, T_0=3,
                                                                            T_mult=2)),
]


@pytest.mark.parametrize('name', [n for n, _ in CLOSED_FORM])
def test_step_with_epoch(name):
    """``step(epoch)`` (deprecated) jumps with the closed form."""
    make = dict(CLOSED_FORM)[name]

    def fn(lib):
        opt = _optimizer(lib)
        sched = make(lib, opt)
        out = []
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            for epoch in [5, 2, 9, 0, 14, 3.5 if name == 'warm_restarts' else 3]:
                opt.step()
                sched.step(epoch)
                out.append((sched.last_epoch, sched.get_last_lr()))
        return out
    check_value(fn, rtol=1e-12, atol=1e-15)


PLATEAU = [
    ('min_rel', {}, [1.0, 0.9, 0.95, 0.95, 0.95, 0.96, 0.8, 0.8, 0.8, 0.8, 0.7]),
    ('min_abs_patience', {'patience': 1, 'threshold': 0.05, 'threshold_mode': 'abs'},
     [1.0, 0.97, 0.9, 0.88, 0.87, 0.86, 0.5, 0.49, 0.49, 0.48]),
    ('max_rel_cooldown', {'mode': 'max', 'patience': 0, 'cooldown': 2, 'factor': 0.5},
     [0.1, 0.2, 0.2, 0.2, 0.2, 0.3, 0.3, 0.3, 0.1, 0.1, 0.1, 0.1]),
    ('max_abs', {'mode': 'max', 'patience': 1, 'threshold': 0.1, 'threshold_mode': 'abs'},
     [1.0, 1.05, 1.2, 1.25, 1.3, 1.45, 1.4, 1.4]),
    ('min_lr_list', {'patience': 0, 'min_lr': [0.02, 0.001], 'factor': 0.5},
     [1.0] * 10),
    ('eps_blocks', {'patience': 0, 'factor': 0.99, 'eps': 0.01}, [1.0] * 5),
]


@pytest.mark.parametrize('name', [n for n, _, _ in PLATEAU])
def test_reduce_lr_on_plateau(name):
    _, kwargs, metrics = next(row for row in PLATEAU if row[0] == name)

    def fn(lib):
        opt = _optimizer(lib)
        sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=2, **kwargs) \
            if 'patience' not in kwargs else \
            lib.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
        out = []
        for m in metrics:
            opt.step()
            sched.step(lib.tensor(m) if m == 0.8 else m)
            out.append((sched.get_last_lr(), sched.num_bad_epochs, sched.cooldown_counter,
                        sched.best, sched.last_epoch))
        return out, sched.state_dict()
    check_value(fn, rtol=1e-12, atol=1e-15)


def test_reduce_lr_on_plateau_round_trip():
    def fn(lib):
        opt = _optimizer(lib)
        sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, mode='max', patience=1)
        for m in [1.0, 0.5, 0.5]:
            sched.step(m)
        state = sched.state_dict()
        opt2 = _optimizer(lib)
        opt2.load_state_dict(opt.state_dict())
        sched2 = lib.optim.lr_scheduler.ReduceLROnPlateau(opt2)
        sched2.load_state_dict(state)
        for m in [0.4, 0.4, 0.4]:
            sched2.step(m)
        return sched2.get_last_lr(), sched2.mode, sched2.mode_worse
    check_value(fn, rtol=1e-12)


def test_tensor_lr_updated_in_place():
    """A tensor lr stays a tensor, filled in place; get_last_lr returns clones."""
    def fn(lib):
        p = lib.nn.Parameter(lib.zeros(2))
        lr = lib.tensor(0.1)
        opt = lib.optim.SGD([p], lr=lr)
        sched = lib.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
        out = []
        for _ in range(5):
            opt.step()
            sched.step()
            out.append(sched.get_last_lr()[0])
        return out, opt.param_groups[0]['lr'] is lr, lr, opt.param_groups[0]['initial_lr']
    check_value(fn)


def test_resume_with_last_epoch():
    def fn(lib):
        opt = _optimizer(lib)
        for g in opt.param_groups:
            g['initial_lr'] = g['lr'] * 2
        sched = lib.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5, last_epoch=3)
        lrs = [sched.get_last_lr()]
        for _ in range(4):
            opt.step()
            sched.step()
            lrs.append(sched.get_last_lr())
        return lrs, sched.last_epoch, sched.base_lrs
    check_value(fn, rtol=1e-12)


def test_onecycle_beyond_total_steps():
    def fn(lib):
        opt = _optimizer(lib)
        sched = lib.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=3)
        for _ in range(4):
            opt.step()
            sched.step()
    check(fn, match_message=True)


ERRORS = [
    ('not_optimizer', lambda L: _lr_sched(L).StepLR(object(), 3)),
    ('resume_without_initial_lr', lambda L: _lr_sched(L).StepLR(_optimizer(L), 3,
                                                                last_epoch=2)),
    ('constant_factor', lambda L: _lr_sched(L).ConstantLR(_optimizer(L), factor=2.0)),
    ('linear_start', lambda L: _lr_sched(L).LinearLR(_optimizer(L), start_factor=0)),
    ('linear_end', lambda L: _lr_sched(L).LinearLR(_optimizer(L), end_factor=1.5)),
    ('lambda_count', lambda L: _lr_sched(L).LambdaLR(_optimizer(L), [lambda e: 1.0])),
    ('multiplicative_not_callable', lambda L: _lr_sched(L).MultiplicativeLR(_optimizer(L),
                                                                            [1, 2])),
    ('sequential_empty', lambda L: _lr_sched(L).SequentialLR(_optimizer(L), [], [])),
    ('sequential_milestones', lambda L: (lambda o: _lr_sched(L).SequentialLR(
        o, [_lr_sched(L).StepLR(o, 2)], milestones=[3]))(_optimizer(L))),
    ('sequential_other_optimizer', lambda L: _lr_sched(L).SequentialLR(
        _optimizer(L), [_lr_sched(L).StepLR(_optimizer(L), 2)], milestones=[])),
    ('sequential_plateau', lambda L: (lambda o: _lr_sched(L).SequentialLR(
        o, [_lr_sched(L).ReduceLROnPlateau(o)], milestones=[]))(_optimizer(L))),
    ('chained_empty', lambda L: _lr_sched(L).ChainedScheduler([])),
    ('plateau_factor', lambda L: _lr_sched(L).ReduceLROnPlateau(_optimizer(L), factor=1.0)),
    ('plateau_mode', lambda L: _lr_sched(L).ReduceLROnPlateau(_optimizer(L), mode='avg')),
    ('plateau_threshold_mode', lambda L: _lr_sched(L).ReduceLROnPlateau(
        _optimizer(L), threshold_mode='pct')),
    ('plateau_min_lrs', lambda L: _lr_sched(L).ReduceLROnPlateau(_optimizer(L),
                                                                 min_lr=[0.1])),
    ('cyclic_mode', lambda L: _lr_sched(L).CyclicLR(_optimizer(L), 0.01, 0.1, mode='saw')),
    ('cyclic_momentum', lambda L: _lr_sched(L).CyclicLR(_optimizer(L, 'adagrad'), 0.01,
                                                        0.1)),
    ('cyclic_base_lr_count', lambda L: _lr_sched(L).CyclicLR(_optimizer(L), [0.01], 0.1)),
    ('onecycle_no_steps', lambda L: _lr_sched(L).OneCycleLR(_optimizer(L), 1.0)),
    ('onecycle_total_steps', lambda L: _lr_sched(L).OneCycleLR(_optimizer(L), 1.0,
                                                               total_steps=0)),
    ('onecycle_epochs', lambda L: _lr_sched(L).OneCycleLR(_optimizer(L), 1.0, epochs=0,
                                                          steps_per_epoch=3)),
    ('onecycle_pct', lambda L: _lr_sched(L).OneCycleLR(_optimizer(L), 1.0, total_steps=5,
                                                       pct_start=1)),
    ('onecycle_anneal', lambda L: _lr_sched(L).OneCycleLR(_optimizer(L), 1.0, total_steps=5,
                                                          anneal_strategy='exp')),
    ('onecycle_momentum', lambda L: _lr_sched(L).OneCycleLR(_optimizer(L, 'adagrad'), 1.0,
                                                            total_steps=5)),
    ('warm_restarts_t0', lambda L: _lr_sched(L).CosineAnnealingWarmRestarts(_optimizer(L),
                                                                            T_0=0)),
    ('warm_restarts_tmult', lambda L: _lr_sched(L).CosineAnnealingWarmRestarts(
        _optimizer(L), T_0=2, T_mult=0)),
    ('warm_restarts_eta', lambda L: _lr_sched(L).CosineAnnealingWarmRestarts(
        _optimizer(L), T_0=2, eta_min='0')),
    ('warm_restarts_negative_epoch', lambda L: _lr_sched(L).CosineAnnealingWarmRestarts(
        _optimizer(L), T_0=2).step(-1)),
    ('swalr_strategy', lambda L: L.optim.swa_utils.SWALR(_optimizer(L), 0.1,
                                                         anneal_strategy='exp')),
    ('swalr_epochs', lambda L: L.optim.swa_utils.SWALR(_optimizer(L), 0.1,
                                                       anneal_epochs=-1)),
    ('swalr_count', lambda L: L.optim.swa_utils.SWALR(_optimizer(L), [0.1, 0.2, 0.3])),
]


@pytest.mark.parametrize('name', [n for n, _ in ERRORS])
def test_errors(name):
    check(dict(ERRORS)[name], match_message=True)


def test_warns_when_scheduler_steps_before_optimizer():
    opt = _optimizer(ember)
    sched = ember.optim.lr_scheduler.StepLR(opt, 2)
    with pytest.warns(UserWarning, match='before `optimizer.step\\(\\)`'):
        sched.step()
    opt = _optimizer(ember)
    sched = ember.optim.lr_scheduler.StepLR(opt, 2)
    opt.step()
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        sched.step()


def test_get_lr_outside_step_warns():
    sched = ember.optim.lr_scheduler.ExponentialLR(_optimizer(ember), 0.5)
    with pytest.warns(UserWarning, match='get_last_lr'):
        sched.get_lr()


def test_step_wrapper_keeps_optimizer_working():
    """The scheduler wraps optimizer.step once, even with several schedulers."""
    p = ember.nn.Parameter(ember.ones(2))
    opt = ember.optim.SGD([p], lr=0.5)
    ember.optim.lr_scheduler.StepLR(opt, 2)
    ember.optim.lr_scheduler.ExponentialLR(opt, 0.5)
    assert opt.step._wrapped_by_lr_sched
    p.grad = ember.ones(2)
    opt.step()
    assert opt._opt_called
    assert p.tolist() == [0.5, 0.5]   # constructors leave the lr at 0.5


def test_by_hand_step_and_cosine():
    opt = _optimizer(ember)
    sched = ember.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.1)
    got = []
    for _ in range(5):
        opt.step()
        sched.step()
        got.append(sched.get_last_lr()[0])
    np.testing.assert_allclose(got, [0.1, 0.01, 0.01, 0.001, 0.001], rtol=1e-12)

    opt = _optimizer(ember)
    sched = ember.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=4)
    got = []
    for _ in range(4):
        opt.step()
        sched.step()
        got.append(sched.get_last_lr()[0])
    expected = [0.1 * (1 + math.cos(math.pi * t / 4)) / 2 for t in range(1, 5)]
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)


def test_onecycle_endpoints():
    opt = _optimizer(ember)
    sched = ember.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=10,
                                                final_div_factor=1e4)
    lrs = [sched.get_last_lr()[0]]
    for _ in range(9):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr()[0])
    assert lrs[0] == pytest.approx(1.0 / 25)
    assert max(lrs) == pytest.approx(1.0)
    assert lrs[-1] == pytest.approx(1.0 / 25 / 1e4)
