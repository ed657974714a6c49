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


def _data_update_then_backward(lib):
    w = lib.ones(2, requires_grad=True)
    loss = (w * w).sum()
    w.data -= 0.1            # old-style manual update between forward and backward
    loss.backward()
    return w.grad, w._version


def _decorated(lib, decorator):
    @decorator
    def double(x):
        return x * 2
    with lib.no_grad():
        return double(lib.ones(2, requires_grad=True)).requires_grad


MORE = {
    'no_grad_bare': lambda lib: _decorated(lib, lib.no_grad),
    'enable_grad_bare': lambda lib: _decorated(lib, lib.enable_grad),
    'inference_mode_bare': lambda lib: _decorated(lib, lib.inference_mode),
    'variable': lambda lib: lib.autograd.Variable(lib.ones(2), requires_grad=True),
    'variable_isinstance': lambda lib: isinstance(lib.ones(2), lib.autograd.Variable),
    'linear_ndarray': lambda lib: lib.nn.Linear(2, 2)(__import__('numpy').ones((2, 2))),
    'linear_list': lambda lib: lib.nn.Linear(2, 2)([[1., 2.]]),
    'linear_0d': lambda lib: lib.nn.Linear(4, 3)(lib.tensor(1.)),
    'linear_0d_weight': lambda lib: lib.nn.functional.linear(lib.ones(3), lib.tensor(1.)),
    'relu_ndarray': lambda lib: lib.relu(__import__('numpy').ones(2)),
    'matmul_ndarray': lambda lib: lib.ones(2, 2) @ __import__('numpy').ones((2, 2)),
    'pow_ndarray': lambda lib: lib.ones(2) ** __import__('numpy').full(2, 2.0),
    'floordiv_ndarray': lambda lib: lib.full((2,), 7.) // __import__('numpy').full(2, 2.0),
    'bce_target_above_one': lambda lib: lib.nn.functional.binary_cross_entropy(
        lib.tensor([0.5]), lib.tensor([2.])),
    'bce_target_negative': lambda lib: lib.nn.functional.binary_cross_entropy(
        lib.tensor([0.5]), lib.tensor([-1.])),
    'bce_both_outside': lambda lib: lib.nn.functional.binary_cross_entropy(
        lib.tensor([1.5]), lib.tensor([2.])),
    'conv2d_kernel_0': lambda lib: lib.nn.functional.conv2d(lib.ones(1, 3, 5, 5),
                                                           lib.ones(8, 3, 0, 0)),
    'conv2d_kernel_0x2': lambda lib: lib.nn.functional.conv2d(lib.ones(1, 3, 5, 5),
                                                             lib.ones(8, 3, 0, 2)),
    'conv1d_kernel_0': lambda lib: lib.nn.functional.conv1d(lib.ones(1, 3, 5),
                                                           lib.ones(8, 3, 0)),
    'conv3d_kernel_0': lambda lib: lib.nn.functional.conv3d(lib.ones(1, 3, 5, 5, 5),
                                                           lib.ones(8, 3, 0, 0, 0)),
    'data_update': _data_update_then_backward,
    'data_version': lambda lib: (lambda a: (a.data.mul_(2), a._version)[1])(
        lib.ones(2, requires_grad=True)),
    'flatten_0d_bad_dim': lambda lib: lib.flatten(lib.tensor(1.), 1),
    'flatten_0d': lambda lib: lib.flatten(lib.tensor(1.), -1),
    'save_missing_directory': lambda lib: lib.save({}, '/nonexistent_ember_dir/x.pt'),
}


@pytest.mark.parametrize('name', MORE)
def test_more_learner_cases(name):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        check(MORE[name], match_message=True)


def test_clip_grad_norm_alias_warns_and_clips():
    def run(lib):
        lib.manual_seed(0)
        m = lib.nn.Linear(3, 2)
        m(lib.ones(1, 3)).sum().backward()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            total = lib.nn.utils.clip_grad_norm(m.parameters(), 0.5)
        return total, m.weight.grad, [(w.category.__name__, str(w.message)) for w in caught]
    e_total, e_grad, e_warn = run(ember)
    t_total, t_grad, t_warn = run(torch)
    assert abs(e_total.item() - t_total.item()) < 1e-5
    assert abs(e_grad.numpy() - t_grad.numpy()).max() < 1e-6
    assert e_warn == [(c, m.replace('torch.', 'torch.')) for c, m in t_warn]


def test_data_alias_still_saves_as_one_storage():
    import io
    p = ember.nn.Parameter(ember.arange(3.))
    buffer = io.BytesIO()
    ember.save({'p': p, 'view': p.data[1:]}, buffer)
    buffer.seek(0)
    loaded = ember.load(buffer)
    loaded['view'][0] = 10.
    assert loaded['p'].tolist() == [0., 10., 2.]


def _changed_output(lib):
    a = lib.ones(2, requires_grad=True)
    b = a.exp()
    b.add_(1)
    b.sum().backward()


def _changed_input(lib):
    a = lib.ones(2, requires_grad=True)
    w = lib.ones(2)
    y = (a * w).sum()
    w.add_(1)
    y.backward()


def _changed_leaf(lib):
    a = lib.ones(2, requires_grad=True)
    y = (a * a).sum()
    with lib.no_grad():
        a.add_(1)
    y.backward()


def _changed_saved_double(lib):
    a = lib.ones(2, 3, dtype=lib.float64, requires_grad=True)
    b = a.tanh()
    b[0] = 1
    b.sum().backward()


def _changed_second_output(lib):
    a = lib.eye(2, requires_grad=True)
    _, s, _ = lib.linalg.svd(a)
    s.add_(1)
    s.sum().backward()


def _changed_in_anomaly_mode(lib):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        with lib.autograd.set_detect_anomaly(True):
            _changed_output(lib)


VERSION_ERRORS = {f.__name__: f for f in (_changed_output, _changed_input, _changed_leaf,
                                           _changed_saved_double, _changed_second_output,
                                           _changed_in_anomaly_mode)}


@pytest.mark.parametrize('name', VERSION_ERRORS)
def test_inplace_change_of_a_saved_tensor_reports_like_pytorch(name):
    check(VERSION_ERRORS[name], match_message=True)


def _nan_gradient(lib):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        with lib.autograd.detect_anomaly():
            x = lib.tensor([0.], requires_grad=True)
            (x.sqrt() * 0).sum().backward()


def test_anomaly_mode_names_the_node_returning_nan():
    check(_nan_gradient, match_message=True)


def test_anomaly_flags():
    def flags(lib):
        before = (lib.is_anomaly_enabled(), lib.is_anomaly_check_nan_enabled())
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            with lib.autograd.detect_anomaly(check_nan=False):
                inside = (lib.is_anomaly_enabled(), lib.is_anomaly_check_nan_enabled())
        setter = lib.autograd.set_detect_anomaly(True)
        on = lib.is_anomaly_enabled()
        lib.autograd.set_detect_anomaly(False)
        del setter
        return before, inside, on, lib.is_anomaly_enabled()
    assert flags(ember) == flags(torch)


def test_scalar_of_a_tensor_requiring_grad_warns_once():
    # PyTorch warns once per process (TORCH_WARN_ONCE), for int(), float() and complex()
    from ember import _tensor
    _tensor._warned_once.clear()
    a = ember.tensor(2., requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        assert int(a) == 2 and float(a * 3) == 6. and complex(a) == 2
        assert a.item() == 2.
    assert [str(w.message) for w in caught] == [
        'Converting a tensor with requires_grad=True to a scalar may lead to unexpected '
        'behavior.\nConsider using tensor.detach() first.']


NUMPY_NAMES = [
    'lib.sum(x, axis=1)', 'x.sum(axis=1, keepdims=True)', 'x.mean(axis=0)',
    'lib.mean(x, axis=0, keepdims=True)', 'x.max(axis=1)', 'lib.max(x, axis=1, keepdims=True)',
    'x.min(axis=0)', 'x.argmax(axis=1)', 'x.argmin(axis=1, keepdims=True)', 'x.std(axis=1)',
    'x.var(axis=0, keepdims=True)', '(x > 1).all(axis=1)', '(x > 1).any(axis=0, keepdims=True)',
    'x.prod(axis=1)', 'x.amax(axis=1)', 'x.amin(axis=0, keepdims=True)', 'x.nansum(axis=1)',
    'x.nanmean(axis=1)', 'x.median(axis=1)', 'x.cumsum(axis=1)', 'lib.cumsum(x, axis=0)',
    'x.logsumexp(axis=1)', 'x.sort(axis=1, descending=True)', 'x.argsort(axis=0)',
    'x.topk(2, axis=1)', 'x[:1].squeeze(axis=0)', 'lib.stack([x, x], axis=1)',
    'x.softmax(axis=1)', 'x.log_softmax(axis=1)', 'x.unsqueeze(axis=0)',
    'lib.softmax(x, axis=1)', 'lib.nn.functional.log_softmax(x, axis=1)', 'lib.softmax(x)',
    'lib.log_softmax(x, 1, lib.float64)', 'lib.nn.functional.softmax(x, axis=1)',
    'x.cumsum()', 'lib.logsumexp(x)', 'x.softmax()', 'x.unsqueeze()',
    'x.mean(axis=None, dtype=None, out=None)', '__import__("numpy").mean(x)',
]


@pytest.mark.parametrize('expression', NUMPY_NAMES)
def test_numpy_keyword_names_are_accepted(expression):
    def snippet(lib):
        x = lib.arange(6.).reshape(2, 3)
        return eval(expression, {'lib': lib, 'x': x})
    check(snippet, match_message=True)


def _x(lib):
    return lib.ones(1, 1, 8, 8)


FLOAT_SIZES = {   # (snippet, whether PyTorch's message is matched word for word)
    'avg_pool2d_kernel': (lambda lib: lib.nn.functional.avg_pool2d(_x(lib), 8 / 2), True),
    'max_pool2d_stride': (lambda lib: lib.nn.functional.max_pool2d(_x(lib), 2, stride=2.0),
                          True),
    'MaxPool2d': (lambda lib: lib.nn.MaxPool2d(2.0)(_x(lib)), True),
    'MaxPool2d_tuple': (lambda lib: lib.nn.MaxPool2d((2.0, 2))(_x(lib)), True),
    'AvgPool2d': (lambda lib: lib.nn.AvgPool2d(2.0)(_x(lib)), True),
    'pad': (lambda lib: lib.nn.functional.pad(_x(lib), (1.0, 1)), True),
    'multinomial': (lambda lib: lib.multinomial(lib.ones(3), 2.0), True),
    'topk': (lambda lib: lib.ones(5).topk(2.0), True),
    'chunk': (lambda lib: lib.ones(5).chunk(2.0), True),
    'roll': (lambda lib: lib.ones(5).roll(1.0), True),
    'slice': (lambda lib: lib.ones(5)[0:2.0], True),
    'conv_stride': (lambda lib: lib.nn.Conv2d(1, 8, 3, stride=1.0)(_x(lib)), False),
    'conv_padding': (lambda lib: lib.nn.Conv2d(1, 8, 3, padding=1.0)(_x(lib)), False),
    'adaptive': (lambda lib: lib.nn.functional.adaptive_avg_pool2d(_x(lib), 2.0), False),
    'interpolate': (lambda lib: lib.nn.functional.interpolate(_x(lib), size=8.0), False),
    'randint': (lambda lib: lib.randint(0, 5.0, (2,)), False),
    'split': (lambda lib: lib.ones(5).split(2.0), False),
    'narrow': (lambda lib: lib.ones(5).narrow(0, 1.0, 2), False),
}


@pytest.mark.parametrize('name', FLOAT_SIZES)
def test_float_sizes_are_type_errors(name):
    snippet, exact = FLOAT_SIZES[name]
    check(snippet, match_message=exact)


def _outcome(lib, snippet):
    """(result or exception text, warnings as (category, message)) of ``snippet(lib)``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        try:
            r = snippet(lib)
            if isinstance(r, (ember.Tensor, torch.Tensor)):
                r = (r.grad_fn.name() if r.grad_fn is not None else None, r.tolist())
        except Exception as e:   # noqa: BLE001 - compared with PyTorch's
            r = f'{type(e).__name__}: {e}'
    return (str(r).replace('ember.', 'torch.').replace('`ember', '`torch'),
            [(w.category.__name__, str(w.message).split(' (Triggered internally')[0]
              .replace('ember.', 'torch.')) for w in caught])


def _hook(lib, change):
    a = lib.ones(2, requires_grad=True)

    def my_hook(g):
        return change(lib, g)
    a.register_hook(my_hook)
    a.sum().backward()
    return a.grad


def _backward_into(lib):
    a = lib.ones(2, requires_grad=True)
    c = a * 2
    d = (c * c).sum()
    d.backward(inputs=[c], retain_graph=True)
    d.backward(inputs=[c, a])
    return c.grad, a.grad


def _assign_grad(lib, value):
    a = lib.ones(2, requires_grad=True)
    a.grad = value(lib)


MISC = {
    'T': lambda lib: lib.ones(2, 3, requires_grad=True).T,
    'arange_sign': lambda lib: lib.arange(0, 5, -1),
    'slice_step_0': lambda lib: lib.ones(5)[::0],
    'permute_duplicate': lambda lib: lib.ones(2, 3).permute(0, 0),
    'reshape_minus_2': lambda lib: lib.ones(6).reshape(-2, 3),
    'requires_grad_str': lambda lib: setattr(lib.ones(2), 'requires_grad', 'yes'),
    'requires_grad_int': lambda lib: setattr(lib.ones(2), 'requires_grad', 1),
    'contains_str': lambda lib: 'a' in lib.ones(2),
    'contains_list': lambda lib: [1] in lib.ones(2),
    'contains_number': lambda lib: (1 in lib.ones(2), 2.5 in lib.ones(2)),
    'grad_size': lambda lib: _assign_grad(lib, lambda L: L.ones(3)),
    'grad_dtype': lambda lib: _assign_grad(lib, lambda L: L.ones(2, dtype=L.float64)),
    'grad_long': lambda lib: _assign_grad(lib, lambda L: L.ones(2, dtype=L.int64)),
    'upsample': lambda lib: lib.nn.functional.upsample(lib.ones(1, 1, 2, 2),
                                                       scale_factor=2).shape,
    'upsample_bilinear': lambda lib: lib.nn.functional.upsample_bilinear(
        lib.ones(1, 1, 2, 2), scale_factor=2).shape,
    'upsample_nearest': lambda lib: lib.nn.functional.upsample_nearest(
        lib.ones(1, 1, 2, 2), scale_factor=2).shape,
    'init_normal': lambda lib: lib.nn.init.normal(lib.ones(2, 2)).shape,
    'init_xavier_uniform': lambda lib: lib.nn.init.xavier_uniform(lib.ones(2, 2)).shape,
    'init_constant': lambda lib: lib.nn.init.constant(lib.ones(2, 2), 1.),
    'init_eye': lambda lib: lib.nn.init.eye(lib.ones(2, 2)),
    'hook_size': lambda lib: _hook(lib, lambda L, g: L.ones(3)),
    'hook_type': lambda lib: _hook(lib, lambda L, g: g.double()),
    'hook_scales': lambda lib: _hook(lib, lambda L, g: g * 2),
    'backward_inputs_non_leaf': _backward_into,
}


@pytest.mark.parametrize('name', MISC)
def test_misc_learner_behaviour(name):
    assert _outcome(ember, MISC[name]) == _outcome(torch, MISC[name])


def test_public_types_print_under_the_package_name():
    def names(lib):
        x = lib.ones(2)
        return [str(type(v)).replace('torch', 'ember') for v in
                (x, x.shape, x.dtype, x.device)]
    assert names(ember) == names(torch)


def _parameter_containers(lib):
    nn = lib.nn
    print(nn.ParameterList([nn.Parameter(lib.zeros(2, 3)),
                            nn.Parameter(lib.zeros(4, dtype=lib.float64))]))
    print(nn.ParameterList([nn.Parameter(lib.zeros(2))]))
    print(nn.ParameterList())
    plain = nn.ParameterDict({'w': nn.Parameter(lib.zeros(2, 3)), 'b': nn.Parameter(lib.zeros(3))})
    print(plain, list(plain.keys()))
    print(nn.ParameterDict({'w': nn.Parameter(lib.zeros(2))}))

    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.ps = nn.ParameterList([nn.Parameter(lib.zeros(2))])
            self.pd = nn.ParameterDict({'a': nn.Parameter(lib.zeros(1)),
                                        'c': nn.Parameter(lib.zeros(2, 2))})
    print(M())
    print(nn.ParameterList([nn.Parameter(lib.zeros(2)), lib.zeros(3), nn.Linear(1, 1)]))


def test_parameter_containers_print_like_pytorch():
    from oracle import printed
    mine, theirs = printed(_parameter_containers)
    assert mine == theirs


def _storages(lib):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        x = lib.tensor([1., 2.])
        s = x.storage()
        print(s)
        print(s.data_ptr() == x.data_ptr(), len(s), s.size(), s.dtype, s.device, s.tolist(),
              s[0], s.element_size(), s.nbytes())
        print(x.view(2, 1).storage().data_ptr() == x.storage().data_ptr())
        print(lib.tensor([1, 2]).untyped_storage())
        print(x[1:].storage_offset(), x[1:].storage().size())
        print(lib.tensor([True, False]).storage())
        print(lib.zeros(0).storage())
        print(lib.arange(6).view(2, 3).t().storage().tolist())


def test_storages_print_like_pytorch():
    from oracle import printed
    mine, theirs = printed(_storages)
    assert mine == theirs


def _custom_function_gradient(lib, make_grad):
    class Double(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return make_grad(lib, g)
    x = lib.ones(2, requires_grad=True)
    Double.apply(x).sum().backward()
    return x.grad


@pytest.mark.parametrize('name,make_grad', [
    ('wrong_shape', lambda lib, g: lib.ones(3)),
    ('broadcast_shape', lambda lib, g: lib.ones(1, 2)),
    ('other_dtype', lambda lib, g: g.double()),
])
def test_custom_function_gradient_shapes(name, make_grad):
    check(lambda lib: _custom_function_gradient(lib, make_grad), match_message=True)


MORE_MESSAGES = [
    "lib.zeros('3')", 'lib.randn(2.5)', 'lib.zeros(2, 3.0)', 'lib.ones((2, 3.0))',
    "lib.zeros([2, 'a'])", 'lib.empty(2, None)', 'lib.rand(3, dtype=lib.long)',
    'lib.randn(3, dtype=lib.int32)', 'lib.nn.functional.max_pool2d(lib.ones(1, 1, 4, 4), 0)',
    'lib.nn.functional.max_pool2d(lib.ones(1, 1, 4, 4), 0, 1)',
    'lib.nn.functional.avg_pool2d(lib.ones(1, 1, 4, 4), 0)',
    'lib.nn.functional.conv2d(lib.ones(1, 1, 4, 4), lib.ones(3, 3))',
    "lib.nn.Linear(2, 2).__setattr__('weight', lib.ones(2, 2))",
    "lib.nn.Linear(2, 2).__setattr__('weight', 3)",
    "lib.nn.Linear(2, 2).register_buffer('b', 3)",
    "lib.nn.Linear(2, 2).register_parameter('p', lib.ones(2))",
    'lib.nn.Sequential(lib.nn.functional.relu)', 'lib.nn.ModuleList([lib.ones(2)])',
    'lib.typename(lib.ones(2))', 'lib.typename(lib.nn.functional.relu)',
    'lib.typename(lib.nn.Linear(1, 1))', 'lib.typename(3)',
    "lib.nn.LeakyReLU('a')(lib.ones(2))",
    'lib.nn.LayerNorm(4)(lib.ones(2, 4, dtype=lib.int64))',
    'lib.nn.functional.layer_norm(lib.ones(2, 4, dtype=lib.int64), (4,))',
    'lib.nn.LayerNorm(4)(lib.ones(2, 4, dtype=lib.float64))',
    'lib.nn.Embedding(0, 3)(lib.tensor([0]))',
]


@pytest.mark.parametrize('expression', MORE_MESSAGES)
def test_more_messages(expression):
    check(lambda lib: eval(expression, {'lib': lib}), match_message=True)


def test_set_grad_enabled_repr():
    try:
        shown = [repr(lib.set_grad_enabled(False)).replace(lib.__name__, 'torch')
                 for lib in (ember, torch)]
    finally:
        ember.set_grad_enabled(True)
        torch.set_grad_enabled(True)
    assert shown[0] == shown[1]


def _no_grad_views(lib):
    x = lib.ones(3, requires_grad=True)
    with lib.no_grad():
        sliced, made, viewed, detached = x[:2], x * 2, x.view(3), x.detach()[:2]
        weight_row = x.unsqueeze(0)[0]
    print(sliced, sliced.requires_grad, sliced.is_leaf, sliced.grad_fn, sliced._base is x)
    print(made.requires_grad, viewed.requires_grad, detached.requires_grad, weight_row)
    tripled = sliced * 3
    print(tripled.requires_grad, tripled.grad_fn.name())
    tripled.sum().backward()
    print(x.grad, sliced.grad)
    with lib.no_grad():
        sliced.mul_(2)    # allowed inside no_grad
    print(x)
    try:
        sliced.mul_(2)
    except RuntimeError as error:
        print(error)


def test_views_made_under_no_grad_like_pytorch():
    from oracle import printed
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        mine, theirs = printed(_no_grad_views)
    assert mine == theirs


@pytest.mark.parametrize('name,args', [('unsqueeze_', (0,)), ('squeeze_', ()), ('squeeze_', (0,)),
                                       ('t_', ()), ('transpose_', (0, 1)),
                                       ('swapaxes_', (0, 1)), ('as_strided_', ((2,), (1,)))])
def test_in_place_view_node_names(name, args):
    def snippet(lib):
        x = lib.ones(1, 2, requires_grad=True) * 1
        y = getattr(x, name)(*args)
        y.sum().backward()
        return y.grad_fn.name()
    check(snippet)


@pytest.mark.parametrize('mode', ['LSTM', 'GRU', 'RNN'])
@pytest.mark.parametrize('dtype', ['float32', 'float64'])
def test_batch_first_output_node(mode, dtype):
    def snippet(lib):
        lib.manual_seed(0)
        m = getattr(lib.nn, mode)(2, 3, batch_first=True).to(getattr(lib, dtype))
        return m(lib.ones(1, 4, 2, dtype=getattr(lib, dtype)))[0].grad_fn.name()
    check(snippet)


@pytest.mark.parametrize('targets,lengths', [([[1, 2], [1, 1]], [2, 3]), ([1, 2, 1, 1, 2], [2, 4])])
def test_ctc_loss_target_length_errors(targets, lengths):
    def snippet(lib):
        lib.manual_seed(0)
        log_probs = lib.randn(5, 2, 4).log_softmax(2)
        return lib.nn.functional.ctc_loss(log_probs, lib.tensor(targets), [5, 5], lengths)
    check(snippet, match_message=True)


def test_unfold_node_and_gradient():
    def snippet(lib):
        x = lib.arange(6., requires_grad=True)
        y = x.unfold(0, 3, 2)
        y.sum().backward()
        return y.grad_fn.name(), x.grad
    check(snippet)
