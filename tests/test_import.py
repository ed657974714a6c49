"""``import ember`` stays light: subpackages and heavy dependencies load on first use, and
nothing a program can reach changes when they do."""
import json
import subprocess
import sys

import pytest

HEAVY = ['ember.nn', 'ember.optim', 'ember.utils', 'ember.linalg', 'ember.distributed',
         'ember.serialization', 'ml_dtypes', 'numpy.random', 'multiprocessing', 'mpi4py']

_REPORT = '''
import json, sys
import ember
loaded = [m for m in {heavy!r} if m in sys.modules]
tensor_methods = sorted(dir(ember.Tensor))
namespace = sorted(dir(ember))
import ember.nn, ember.optim, ember.utils.data, ember.linalg, ember.testing, ember.serialization
print(json.dumps({{'loaded': loaded,
                  'new_methods': sorted(set(dir(ember.Tensor)) - set(tensor_methods)),
                  'new_names': sorted(set(dir(ember)) - set(namespace))}}))
'''


def _fresh(code):
    if sys.platform == 'emscripten':
        pytest.skip('Pyodide cannot start a fresh interpreter')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         check=True)
    return out.stdout


@pytest.fixture(scope='module')
def report():
    return json.loads(_fresh(_REPORT.format(heavy=HEAVY)).splitlines()[-1])


def test_import_loads_only_the_core(report):
    assert report['loaded'] == []


def test_loading_subpackages_adds_no_tensor_method_or_name(report):
    # Every Tensor method and top-level name exists before nn & co. are loaded.
    assert report['new_methods'] == []
    assert report['new_names'] == []


def test_lazy_names_resolve_in_a_fresh_interpreter():
    code = '''
import ember
x = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = x.softmax(0)                         # a stub that loads nn.functional on first call
print(y.grad_fn.name(), round(x.log_softmax(dim=0)[0].item(), 4))
print(ember.nn.Linear.__name__, ember.optim.SGD.__name__, ember.conv2d is ember.nn.functional.conv2d,
      ember.softmax(x, 0).grad_fn.name())
print(ember.save.__module__, ember.load.__module__, ember.linalg.norm(x).item() > 0)
try:
    import ml_dtypes
    print(ember.bfloat16.numpy_dtype.name, ember.ones(2, dtype=ember.bfloat16).dtype)
except ImportError:
    print('skip')
ember.manual_seed(0)
print(ember.rand(2).tolist())
'''
    lines = _fresh(code).splitlines()
    assert lines[0] == 'SoftmaxBackward0 -2.4076'
    assert lines[1] == 'Linear SGD True SoftmaxBackward0'
    assert lines[2] == 'ember.serialization ember.serialization True'
    if lines[3] != 'skip':
        assert lines[3] == 'bfloat16 ember.bfloat16'
    assert lines[4] == str([0.49625658988952637, 0.7682217955589294])


def test_unknown_attribute_raises_attribute_error():
    import ember
    with pytest.raises(AttributeError, match="module 'ember' has no attribute 'nonexistent'"):
        ember.nonexistent
