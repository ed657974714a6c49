"""Run the PyTorch-oracle tests where PyTorch cannot go (Pyodide), against a recording.

A pytest plugin with two modes:

``--oracle-record=FILE`` (on a machine with PyTorch): the suite runs as usual; every
``oracle.check``/``oracle.printed`` call also writes down what *ember* gave (dtype, shape,
strides, offset, contiguity, requires_grad, is_leaf, grad_fn, values, repr, storage sharing,
or the exception type), keyed by test id and call number.

``--oracle-replay=FILE`` (in Pyodide, no PyTorch): the tests marked ``requires_torch`` run
again, and each ``check`` compares ember's result here with the recording. Since the recorded
ember results were themselves checked against PyTorch, a match means ember behaves on
WebAssembly (32-bit ``intp``, NumPy 2.0.2, CPython 3.12) as it does natively. Not replayed
(skipped, with the reason): hypothesis-driven tests (their examples need not repeat across
platforms), tests that call PyTorch directly rather than through the oracle, and calls the
recording lacks.

    python -m pytest -p oracle_replay --oracle-record=oracle.json.gz   (scripts/ on sys.path)
"""
import base64
import contextlib
import gzip
import io
import json
import math
import os

import numpy as np
import pytest

_state = {'mode': None, 'data': {}, 'calls': {}, 'nodeid': None}


def pytest_addoption(parser):
    group = parser.getgroup('oracle replay')
    group.addoption('--oracle-record', metavar='FILE', help='record ember results of oracle checks')
    group.addoption('--oracle-replay', metavar='FILE', help='compare with a recording')


# ---------------------------------------------------------------- summaries
def _values(array):
    array = np.ascontiguousarray(array)
    if array.dtype.name == 'bfloat16':
        array = array.astype(np.float64)
    return {'dtype': array.dtype.str, 'shape': list(array.shape),
            'b64': base64.b64encode(array.tobytes()).decode('ascii')}


def _summary(obj, ember, storages):
    if isinstance(obj, ember.Tensor):
        t = obj.detach()
        ptr = t.untyped_storage().data_ptr()
        if ptr not in storages:
            storages[ptr] = len(storages)
        fn = None if obj.grad_fn is None else obj.grad_fn.name()
        out = {'kind': 'tensor', 'dtype': str(obj.dtype), 'shape': list(obj.shape),
               'device': obj.device.type, 'requires_grad': obj.requires_grad,
               'is_leaf': obj.is_leaf, 'grad_fn': fn, 'storage': storages[ptr]}
        with contextlib.suppress(Exception):
            out['stride'] = list(obj.stride())
            out['offset'] = obj.storage_offset()
            out['contiguous'] = obj.is_contiguous()
        with contextlib.suppress(Exception):
            out['repr'] = repr(obj)
        with contextlib.suppress(Exception):
            data = t.cpu()._data
            if data.dtype.kind == 'c':
                data = np.stack([data.real, data.imag], axis=-1)
            out['values'] = _values(data)
        return out
    if isinstance(obj, (tuple, list)):
        return {'kind': 'seq', 'type': type(obj).__name__,
                'items': [_summary(x, ember, storages) for x in obj]}
    if isinstance(obj, dict):
        return {'kind': 'dict', 'keys': [repr(k) for k in obj],
                'items': [_summary(v, ember, storages) for v in obj.values()]}
    if isinstance(obj, float):
        return {'kind': 'float', 'value': obj if math.isfinite(obj) else repr(obj)}
    if isinstance(obj, (bool, int, str)) or obj is None:
        return {'kind': 'plain', 'type': type(obj).__name__, 'value': obj}
    if isinstance(obj, np.ndarray):
        return {'kind': 'ndarray', 'values': _values(obj)}
    return {'kind': 'other', 'type': type(obj).__name__, 'repr': repr(obj)}


def _decode(values):
    return np.frombuffer(base64.b64decode(values['b64']),
                         dtype=np.dtype(values['dtype'])).reshape(values['shape'])


def _compare(got, want, path, opts, problems):
    if got.get('kind') != want.get('kind'):
        problems.append(f'{path}: {got.get("kind")} here, {want.get("kind")} natively')
        return
    kind = want['kind']
    if kind == 'tensor':
        keys = ['dtype', 'shape', 'device', 'requires_grad', 'is_leaf', 'grad_fn']
        if opts.get('check_stride', True):
            keys += ['stride', 'offset', 'contiguous']
        if opts.get('check_sharing', True):
            keys += ['storage']
        for key in keys:
            if got.get(key) != want.get(key):
                problems.append(f'{path}: {key} {got.get(key)!r} here, {want.get(key)!r} natively')
        if 'values' in want:
            _compare_values(got.get('values'), want['values'], path, opts, problems)
        if opts.get('check_repr', True) and got.get('repr') != want.get('repr'):
            problems.append(f'{path}: repr differs:\n{got.get("repr")}\n-- natively --\n'
                            f'{want.get("repr")}')
    elif kind in ('seq', 'dict'):
        if kind == 'seq' and got['type'] != want['type']:
            problems.append(f'{path}: {got["type"]} here, {want["type"]} natively')
        if kind == 'dict' and got['keys'] != want['keys']:
            problems.append(f'{path}: keys {got["keys"]} here, {want["keys"]} natively')
        if len(got['items']) != len(want['items']):
            problems.append(f'{path}: {len(got["items"])} items here, {len(want["items"])} natively')
            return
        for i, (g, w) in enumerate(zip(got['items'], want['items'])):
            _compare(g, w, f'{path}[{i}]', opts, problems)
    elif kind == 'float':
        g, w = got['value'], want['value']
        if isinstance(g, str) or isinstance(w, str):
            if g != w:
                problems.append(f'{path}: {g!r} here, {w!r} natively')
        elif not math.isclose(g, w, rel_tol=opts['rtol'], abs_tol=opts['atol']):
            problems.append(f'{path}: {g!r} here, {w!r} natively')
    elif kind == 'ndarray':
        _compare_values(got['values'], want['values'], path, opts, problems)
    else:
        for key in ('type', 'value', 'repr'):
            if got.get(key) != want.get(key):
                problems.append(f'{path}: {key} {got.get(key)!r} here, {want.get(key)!r} natively')


def _compare_values(got, want, path, opts, problems):
    if got is None:
        problems.append(f'{path}: values unreadable here')
        return
    g, w = _decode(got), _decode(want)
    if got['dtype'] != want['dtype'] or g.shape != w.shape:
        problems.append(f'{path}: array {got["dtype"]}{list(g.shape)} here, '
                        f'{want["dtype"]}{list(w.shape)} natively')
        return
    if w.dtype.kind in 'fc':
        ok = np.allclose(g.astype(np.float64), w.astype(np.float64), rtol=opts['rtol'],
                         atol=opts['atol'], equal_nan=True)
    else:
        ok = np.array_equal(g, w)
    if not ok:
        problems.append(f'{path}: values differ\nhere:     {g.ravel()[:12]}\nnatively: '
                        f'{w.ravel()[:12]}')


def _uses_torch_directly(error):
    """True when ``error`` (or one it chains to) comes from test code that touched PyTorch
    itself: ``torch`` is None here, or ``import torch`` failed."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, ModuleNotFoundError) and error.name == 'torch':
            return True
        if isinstance(error, (AttributeError, TypeError)) and 'NoneType' in str(error):
            tb = error.__traceback__
            while tb is not None and tb.tb_next is not None:
                tb = tb.tb_next
            if tb is not None and os.path.basename(os.path.dirname(
                    tb.tb_frame.f_code.co_filename)) == 'tests':
                return True
        error = error.__cause__ or error.__context__
    return False


def _environment_skip(error):
    """A reason to skip when ``error`` only says that this platform lacks something."""
    if error is None:
        return None
    if _uses_torch_directly(error):
        return 'oracle replay: the test calls PyTorch directly'
    if isinstance(error, RuntimeError) and 'needs the ml_dtypes package' in str(error):
        return 'oracle replay: bfloat16 needs ml_dtypes, which has no build for this platform'
    return None


def _exception(error):
    return {'kind': 'error', 'type': type(error).__name__, 'message': str(error)[:300]}


# ---------------------------------------------------------------- the two modes
def _next_key(fn):
    nodeid = _state['nodeid']
    index = _state['calls'].get(nodeid, 0)
    _state['calls'][nodeid] = index + 1
    code = getattr(fn, '__code__', None)
    where = f'{code.co_filename.rsplit("/", 1)[-1]}:{code.co_firstlineno}' if code else '?'
    return nodeid, index, where


def _install(config):
    import ember
    import oracle
    record = config.getoption('--oracle-record')
    replay = config.getoption('--oracle-replay')
    if record:
        _state['mode'] = 'record'
        original_run, original_check, original_printed = oracle._run, oracle.check, oracle.printed

        def check(fn, **kwargs):
            nodeid, index, where = _next_key(fn)
            captured = {}

            def run(f, lib):
                out, err = original_run(f, lib)
                if lib is ember:
                    captured['result'] = (_exception(err) if err is not None
                                          else _summary(out, ember, {}))
                return out, err
            oracle._run = run
            try:
                return original_check(fn, **kwargs)
            finally:
                oracle._run = original_run
                if 'result' in captured:
                    _state['data'].setdefault(nodeid, {})[str(index)] = {
                        'where': where, 'result': captured['result']}

        def printed(fn):
            nodeid, index, where = _next_key(fn)
            mine, theirs = original_printed(fn)
            _state['data'].setdefault(nodeid, {})[str(index)] = {
                'where': where, 'printed': mine}
            return mine, theirs
        oracle.check, oracle.printed = check, printed
    elif replay:
        _state['mode'] = 'replay'
        with gzip.open(replay, 'rt') if replay.endswith('.gz') else open(replay) as f:
            _state['data'] = json.load(f)

        def lookup(fn):
            nodeid, index, where = _next_key(fn)
            entry = _state['data'].get(nodeid, {}).get(str(index))
            if entry is None:
                pytest.skip(f'oracle replay: no native recording for call {index}')
            if entry['where'] != where:
                pytest.skip(f'oracle replay: call {index} is {where} here, {entry["where"]} '
                            'in the recording')
            return entry

        def check(fn, *, rtol=1.3e-6, atol=1e-5, check_stride=True, check_repr=True,
                  check_sharing=True, match_message=False):
            entry = lookup(fn)
            want = entry.get('result')
            out, err = oracle._run(fn, ember)
            got = _exception(err) if err is not None else _summary(out, ember, {})
            reason = _environment_skip(err) if want['kind'] != 'error' else None
            if reason:
                pytest.skip(reason)
            if want['kind'] == 'error' or got['kind'] == 'error':
                if got.get('type') != want.get('type'):
                    detail = (f'raised {got["type"]}: {got["message"]}' if got['kind'] == 'error'
                              else 'returned a result')
                    want_text = (f'raised {want["type"]}: {want["message"]}'
                                 if want['kind'] == 'error' else 'returned a result')
                    raise AssertionError(f'ember here {detail}; natively it {want_text}') from err
                return
            problems = []
            _compare(got, want, 'result', {'rtol': rtol, 'atol': atol,
                                           'check_stride': check_stride,
                                           'check_repr': check_repr,
                                           'check_sharing': check_sharing}, problems)
            if problems:
                raise AssertionError('ember here differs from ember natively (which matched '
                                     'PyTorch):\n' + '\n'.join(problems[:8]))

        def printed(fn):
            entry = lookup(fn)
            buf = io.StringIO()
            with contextlib.redirect_stdout(buf):
                fn(ember)
            return buf.getvalue(), entry['printed']

        oracle.check, oracle.printed = check, printed
        oracle.requires_torch = pytest.mark.oracle_replay


def pytest_configure(config):
    config.addinivalue_line('markers', 'oracle_replay: a requires_torch test run against a '
                                       'recording')
    if config.getoption('--oracle-record') or config.getoption('--oracle-replay'):
        config.pluginmanager.register(_Hooks(config), 'oracle_replay_hooks')


class _Hooks:
    def __init__(self, config):
        self.config = config

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection(self, session):
        # tests/conftest.py has put tests/ on sys.path by now; patch before test modules load.
        _install(self.config)

    def pytest_collection_modifyitems(self, items):
        if _state['mode'] != 'replay':
            return
        skip = pytest.mark.skip(reason='oracle replay: hypothesis examples need not repeat '
                                       'across platforms')
        for item in items:
            if item.get_closest_marker('oracle_replay') and \
                    getattr(getattr(item, 'obj', None), 'is_hypothesis_test', False):
                item.add_marker(skip)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item):
        _state['nodeid'] = item.nodeid

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        if _state['mode'] != 'replay' or call.excinfo is None or report.when != 'call':
            return
        if not item.get_closest_marker('oracle_replay'):
            return
        # A test that uses PyTorch itself (not through the oracle) meets `torch = None` here;
        # bfloat16 needs ml_dtypes, which Pyodide lacks.
        reason = _environment_skip(call.excinfo.value)
        if reason:
            entry = call.excinfo.traceback[-1] if call.excinfo.traceback else None
            report.outcome = 'skipped'
            report.longrepr = (str(entry.path) if entry else item.nodeid,
                               (entry.lineno + 1) if entry else 0, reason)

    def pytest_sessionfinish(self, session):
        path = self.config.getoption('--oracle-record')
        if _state['mode'] == 'record' and path:
            opener = gzip.open if path.endswith('.gz') else open
            with opener(path, 'wt') as f:
                json.dump(_state['data'], f, separators=(',', ':'))
