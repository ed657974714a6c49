"""Checkpoints: ember.save/ember.load in PyTorch's file format, both ways, and safetensors.

Files written by PyTorch load in ember with the same values, dtypes, shapes, strides,
storage sharing and ``_metadata``; files written by ember load in PyTorch with its default
``weights_only=True`` and match what PyTorch writes byte for byte (except the random
serialization id). Malicious, truncated and corrupted files are refused.
"""
import copy
import io
import json
import os
import pickle
import pickletools
import struct
import zipfile
from collections import Counter, OrderedDict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from ember import serialization
from ember import safetensors as est

try:
    import torch
except ImportError:  # pragma: no cover - CI installs torch
    torch = None

requires_torch = pytest.mark.skipif(torch is None, reason='PyTorch is not installed')


# ---------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------
def _np(t):
    """Host NumPy values of an ember or torch tensor (bfloat16 as float32)."""
    if isinstance(t, ember.Tensor):
        if t.dtype is ember.bfloat16:
            t = t.float()
        return np.array(t.detach().cpu()._data)
    if t.dtype == torch.bfloat16:
        t = t.float()
    return t.detach().cpu().numpy()


def _same(e, t):
    """An ember tensor equals a torch tensor: values, dtype, shape, strides, offset, grad."""
    assert isinstance(e, ember.Tensor), type(e)
    assert str(e.dtype).replace('ember.', '') == str(t.dtype).replace('torch.', '')
    assert tuple(e.shape) == tuple(t.shape)
    assert e.stride() == t.stride()
    assert e.storage_offset() == t.storage_offset()
    assert e.requires_grad == t.requires_grad
    assert e.untyped_storage().nbytes() == t.untyped_storage().nbytes()
    np.testing.assert_array_equal(_np(e), _np(t))


def _torch_from(e):
    """A torch tensor with an ember tensor's values (contiguous copy)."""
    if e.dtype is ember.bfloat16:
        return torch.from_numpy(_np(e)).to(torch.bfloat16)
    return torch.from_numpy(np.ascontiguousarray(_np(e)))


def _ember_from(t):
    if t.dtype == torch.bfloat16:
        return ember.from_numpy(_np(t)).to(ember.bfloat16)
    return ember.from_numpy(np.ascontiguousarray(_np(t)))


def _torch_bytes(obj):
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def _ember_bytes(obj, **kwargs):
    buffer = io.BytesIO()
    ember.save(obj, buffer, **kwargs)
    return buffer.getvalue()


def _rezip(data, transform):
    """Rewrite a checkpoint's records through ``transform(name, bytes) -> (name, bytes)``."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, 'w', zipfile.ZIP_STORED) as target:
        for name in source.namelist():
            new_name, payload = transform(name, source.read(name))
            target.writestr(new_name, payload)
    return out.getvalue()


def _with_pickle(data, new_pickle):
    return _rezip(data, lambda n, b: (n, new_pickle if n.endswith('/data.pkl') else b))


def _zip_layout(data):
    """(name, header offset, data offset, size, crc, flags, extra) of every record."""
    z = zipfile.ZipFile(io.BytesIO(data))
    rows = []
    for info in z.infolist():
        n, e = struct.unpack('<HH', data[info.header_offset + 26:info.header_offset + 30])
        start = info.header_offset + 30 + n + e
        extra = data[info.header_offset + 30 + n:start]
        rows.append((info.filename, info.header_offset, start, info.file_size, info.CRC,
                     info.flag_bits, extra))
    return rows


def _cnn_state_dict(lib):
    """A state_dict shaped like a small CNN's: conv, batchnorm (with the int64
    num_batches_tracked), linear; with _metadata recording module versions."""
    rng = np.random.default_rng(0)

    def t(shape, dtype=np.float32):
        return lib.from_numpy(rng.standard_normal(shape).astype(dtype))
    sd = OrderedDict()
    sd['conv.weight'] = t((4, 1, 3, 3))
    sd['conv.bias'] = t((4,))
    sd['bn.weight'] = t((4,))
    sd['bn.bias'] = t((4,))
    sd['bn.running_mean'] = t((4,))
    sd['bn.running_var'] = lib.from_numpy(np.abs(rng.standard_normal(4)).astype(np.float32))
    sd['bn.num_batches_tracked'] = lib.tensor(7)
    sd['fc.weight'] = t((3, 16))
    sd['fc.bias'] = t((3,))
    sd._metadata = OrderedDict([('', {'version': 1}), ('conv', {'version': 1}),
                                ('bn', {'version': 2}), ('fc', {'version': 1})])
    return sd


# ---------------------------------------------------------------------------------------
# PyTorch -> ember
# ---------------------------------------------------------------------------------------
@requires_torch
def test_torch_state_dict_loads_in_ember(tmp_path):
    path = tmp_path / 'cnn.pt'
    sd = _cnn_state_dict(torch)
    torch.save(sd, path)
    loaded = ember.load(path)
    assert type(loaded) is OrderedDict
    assert list(loaded) == list(sd)
    assert loaded._metadata == sd._metadata
    for key in sd:
        _same(loaded[key], sd[key])
    assert loaded['bn.num_batches_tracked'].dtype is ember.int64
    assert loaded['bn.num_batches_tracked'].shape == ()


@requires_torch
def test_torch_module_state_dict_loads_in_ember_module(tmp_path):
    torch.manual_seed(0)
    tmodel = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.ReLU(),
                                 torch.nn.Linear(4, 2))
    torch.save(tmodel.state_dict(), tmp_path / 'm.pt')
    emodel = ember.nn.Sequential(ember.nn.Linear(5, 4), ember.nn.ReLU(),
                                 ember.nn.Linear(4, 2))
    result = emodel.load_state_dict(ember.load(tmp_path / 'm.pt'))
    assert not result.missing_keys and not result.unexpected_keys
    x = np.random.default_rng(1).standard_normal((3, 5)).astype(np.float32)
    expected = tmodel(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(_np(emodel(ember.from_numpy(x))), expected, rtol=1e-6,
                               atol=1e-6)


@requires_torch
@pytest.mark.parametrize('batchnorm', [False, True], ids=['conv_linear', 'conv_bn_linear'])
def test_torch_cnn_checkpoint_gives_torch_outputs_in_ember(batchnorm, tmp_path):
    if not hasattr(ember.nn, 'Conv2d') or (batchnorm and not hasattr(ember.nn, 'BatchNorm2d')):
        pytest.skip('ember.nn lacks a layer of this model')

    def build(nn):
        norm = [nn.BatchNorm2d(4)] if batchnorm else []
        return nn.Sequential(nn.Conv2d(1, 4, 3), *norm, nn.ReLU(), nn.Flatten(),
                             nn.Linear(4 * 6 * 6, 3))
    torch.manual_seed(0)
    tmodel = build(torch.nn)
    tmodel.train()
    tmodel(torch.randn(8, 1, 8, 8))          # moves the running statistics
    tmodel.eval()
    torch.save(tmodel.state_dict(), tmp_path / 'cnn.pt')
    emodel = build(ember.nn)
    emodel.load_state_dict(ember.load(tmp_path / 'cnn.pt'))
    emodel.eval()
    x = np.random.default_rng(2).standard_normal((2, 1, 8, 8)).astype(np.float32)
    np.testing.assert_allclose(_np(emodel(ember.from_numpy(x))),
                               tmodel(torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-5)
    ember.save(emodel.state_dict(), tmp_path / 'back.pt')
    back = build(torch.nn)
    back.load_state_dict(torch.load(tmp_path / 'back.pt'))
    back.eval()
    np.testing.assert_array_equal(back(torch.from_numpy(x)).detach().numpy(),
                                  tmodel(torch.from_numpy(x)).detach().numpy())


DTYPES = ['bool', 'uint8', 'int8', 'int16', 'int32', 'int64', 'float16', 'bfloat16',
          'float32', 'float64', 'complex64', 'complex128']


def _sample(lib, name, shape=(2, 3)):
    rng = np.random.default_rng(3)
    values = np.asarray(rng.standard_normal(shape) * 10)
    if name == 'bool':
        return lib.from_numpy(np.asarray(values > 0))
    if name.startswith('complex'):
        arr = np.asarray(values + 1j * rng.standard_normal(shape)).astype(name)
        return lib.from_numpy(arr)
    if name == 'bfloat16':
        return lib.from_numpy(values.astype(np.float32)).to(lib.bfloat16)
    return lib.from_numpy(values.astype(name))


@requires_torch
@pytest.mark.parametrize('name', DTYPES)
@pytest.mark.parametrize('shape', [(2, 3), (), (0,), (0, 4), (1, 1, 5)])
def test_dtypes_and_shapes_both_ways(name, shape):
    t = _sample(torch, name, shape)
    loaded = ember.load(io.BytesIO(_torch_bytes({'x': t})))['x']
    _same(loaded, t)
    e = _sample(ember, name, shape)
    back = torch.load(io.BytesIO(_ember_bytes({'x': e})))['x']
    _same(e, back)


@requires_torch
def test_views_keep_offsets_strides_and_sharing_torch_to_ember():
    base = torch.arange(24, dtype=torch.float64)
    obj = {'base': base, 'slice': base[3:9], 'matrix': base.view(4, 6),
           'transposed': base.view(4, 6).t(), 'strided': base[1::5],
           'column': base.view(4, 6)[:, 2], 'expanded': base[:3].view(3, 1).expand(3, 4),
           'empty_view': base[5:5], 'scalar_view': base[7]}
    loaded = ember.load(io.BytesIO(_torch_bytes(obj)))
    storage = loaded['base'].untyped_storage()
    for key, t in obj.items():
        _same(loaded[key], t)
        assert loaded[key].untyped_storage() is storage, key
    loaded['base'][4] = -1.0                       # they share memory
    assert loaded['slice'][1].item() == -1.0
    assert loaded['matrix'][0, 4].item() == -1.0
    assert loaded['transposed'][4, 0].item() == -1.0


@requires_torch
def test_views_keep_offsets_strides_and_sharing_ember_to_torch():
    base = ember.arange(24, dtype=ember.float32)
    obj = {'base': base, 'slice': base[3:9], 'matrix': base.view(4, 6),
           'transposed': base.view(4, 6).t(), 'strided': base[1::5],
           'column': base.view(4, 6)[:, 2], 'expanded': base[:3].view(3, 1).expand(3, 4),
           'empty_view': base[5:5], 'scalar_view': base[7]}
    data = _ember_bytes(obj)
    assert len(zipfile.ZipFile(io.BytesIO(data)).namelist()) == 7   # one storage record
    loaded = torch.load(io.BytesIO(data))
    pointer = loaded['base'].untyped_storage().data_ptr()
    for key, e in obj.items():
        _same(e, loaded[key])
        assert loaded[key].untyped_storage().data_ptr() == pointer, key
    loaded['base'][4] = -1.0
    assert loaded['slice'][1].item() == -1.0


@requires_torch
def test_a_view_alone_saves_its_whole_storage():
    base = ember.arange(10, dtype=ember.int64)
    view = base[2:5]
    back = torch.load(io.BytesIO(_ember_bytes(view)))
    assert back.storage_offset() == 2 and back.untyped_storage().nbytes() == 80
    assert back.tolist() == [2, 3, 4]
    again = ember.load(io.BytesIO(_ember_bytes(view)))
    assert again.storage_offset() == 2 and again.tolist() == [2, 3, 4]


@requires_torch
@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=3).flatmap(lambda shape: st.tuples(
    st.just(shape),
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 4), st.integers(1, 2)),
             min_size=len(shape), max_size=len(shape)),
    st.permutations(range(len(shape))))))
def test_random_views_round_trip_both_ways(case):
    shape, slices, order = case
    index = tuple(slice(min(a, n), min(a, n) + b, step)
                  for (a, b, step), n in zip(slices, shape))

    def make(lib):
        numel = int(np.prod(shape))
        base = lib.arange(numel, dtype=lib.float32).reshape(shape)
        return [base, base[index].permute(*order)]
    loaded = ember.load(io.BytesIO(_torch_bytes(make(torch))))
    for e, t in zip(loaded, make(torch)):
        _same(e, t)
    back = torch.load(io.BytesIO(_ember_bytes(make(ember))))
    for e, t in zip(make(ember), back):
        _same(e, t)
    assert back[1].untyped_storage().data_ptr() == back[0].untyped_storage().data_ptr()


def test_separate_storages_stay_separate():
    a, b = ember.zeros(3), ember.zeros(3)
    loaded = ember.load(io.BytesIO(_ember_bytes([a, b, a])))
    assert loaded[0] is loaded[2]
    assert loaded[0].untyped_storage() is not loaded[1].untyped_storage()


def test_same_storage_as_two_dtypes_is_refused():
    a = ember.zeros(4, dtype=ember.float64)
    with pytest.raises(RuntimeError, match='view the same data as different types'):
        ember.save([a, a.view(ember.int32)], io.BytesIO())


# ---------------------------------------------------------------------------------------
# ember -> PyTorch, and the exact bytes PyTorch writes
# ---------------------------------------------------------------------------------------
@requires_torch
def test_ember_state_dict_loads_in_torch_weights_only(tmp_path):
    sd = _cnn_state_dict(ember)
    ember.save(sd, tmp_path / 'cnn.pt')
    loaded = torch.load(tmp_path / 'cnn.pt')          # weights_only=True by default
    assert type(loaded) is OrderedDict and list(loaded) == list(sd)
    assert loaded._metadata == sd._metadata
    for key in sd:
        _same(sd[key], loaded[key])
    loaded = torch.load(tmp_path / 'cnn.pt', weights_only=True, mmap=True)
    _same(sd['fc.weight'], loaded['fc.weight'])


@requires_torch
def test_ember_module_state_dict_loads_in_torch_module(tmp_path):
    ember.manual_seed(0)
    emodel = ember.nn.Sequential(ember.nn.Linear(5, 4), ember.nn.Tanh(),
                                 ember.nn.Linear(4, 2))
    ember.save(emodel.state_dict(), tmp_path / 'm.pt')
    tmodel = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.Tanh(),
                                 torch.nn.Linear(4, 2))
    tmodel.load_state_dict(torch.load(tmp_path / 'm.pt'))
    x = np.random.default_rng(1).standard_normal((3, 5)).astype(np.float32)
    np.testing.assert_allclose(tmodel(torch.from_numpy(x)).detach().numpy(),
                               _np(emodel(ember.from_numpy(x))), rtol=1e-6, atol=1e-6)


def _layout_without_id(data):
    rows = _zip_layout(data)
    return [row if not row[0].endswith('serialization_id') else row[:4] + row[5:]
            for row in rows]


def _mask_id(data):
    """The file bytes with the serialization id (its data and every CRC of it) blanked."""
    data = bytearray(data)
    z = zipfile.ZipFile(io.BytesIO(bytes(data)))
    info = next(i for i in z.infolist() if i.filename.endswith('.data/serialization_id'))
    start = _zip_layout(bytes(data))[-1][2]
    data[start:start + info.file_size] = b'0' * info.file_size
    crc = struct.pack('<I', info.CRC)
    return bytes(data).replace(crc, b'\0\0\0\0')


def _same_structure(lib):
    """The same object graph built in either library (same literal strings, so the pickle
    memo shares the same objects)."""
    sd = _cnn_state_dict(lib)
    base = lib.arange(12, dtype=lib.float64)
    return {'model': sd, 'views': [base, base[2:6], base.view(3, 4).t()],
            'empty': lib.zeros(0, 3), 'half': lib.ones(2, dtype=lib.float16),
            'flag': lib.tensor([True, False]), 'cfg': {'lr': 0.1, 'steps': (1, 2, 3),
                                                        'name': 'run', 'none': None,
                                                        'big': 2 ** 70, 'neg': -5}}


@requires_torch
@pytest.mark.parametrize('make', [_cnn_state_dict, _same_structure],
                         ids=['state_dict', 'mixed'])
def test_file_bytes_match_torch(make, tmp_path):
    (tmp_path / 't').mkdir()
    (tmp_path / 'e').mkdir()
    torch.save(make(torch), tmp_path / 't' / 'ckpt.pt')
    ember.save(make(ember), tmp_path / 'e' / 'ckpt.pt')
    t_bytes = (tmp_path / 't' / 'ckpt.pt').read_bytes()
    e_bytes = (tmp_path / 'e' / 'ckpt.pt').read_bytes()
    # Entry names and order, offsets, 64-byte alignment, sizes, CRCs, flags and padding.
    assert _layout_without_id(e_bytes) == _layout_without_id(t_bytes)
    for _, _, start, size, *_ in _zip_layout(e_bytes):
        assert start % 64 == 0
    ez, tz = zipfile.ZipFile(io.BytesIO(e_bytes)), zipfile.ZipFile(io.BytesIO(t_bytes))
    assert ez.read('ckpt/data.pkl') == tz.read('ckpt/data.pkl')
    assert len(e_bytes) == len(t_bytes)
    assert _mask_id(e_bytes) == _mask_id(t_bytes)
    serial = ez.read('ckpt/.data/serialization_id')
    assert len(serial) == 40 and serial.isdigit()


@requires_torch
def test_data_pkl_uses_only_the_opcodes_torch_weights_only_accepts():
    data = _ember_bytes(_same_structure(ember))
    pkl = zipfile.ZipFile(io.BytesIO(data)).read('archive/data.pkl')
    names = {op.name for op, _, _ in pickletools.genops(pkl)}
    assert names <= {'PROTO', 'GLOBAL', 'BINPUT', 'BINGET', 'LONG_BINPUT', 'LONG_BINGET',
                     'EMPTY_TUPLE', 'REDUCE', 'MARK', 'BINUNICODE', 'TUPLE', 'TUPLE1',
                     'TUPLE2', 'TUPLE3', 'BINPERSID', 'BININT1', 'BININT2', 'BININT',
                     'LONG1', 'BINFLOAT', 'NEWFALSE', 'NEWTRUE', 'NONE', 'EMPTY_DICT',
                     'EMPTY_LIST', 'SETITEM', 'SETITEMS', 'APPEND', 'APPENDS', 'BUILD',
                     'STOP'}, names
    assert pkl[:2] == b'\x80\x02'
    globals_ = {arg for op, arg, _ in pickletools.genops(pkl) if op.name == 'GLOBAL'}
    assert globals_ == {'collections OrderedDict', 'torch._utils _rebuild_tensor_v2',
                        'torch FloatStorage', 'torch DoubleStorage', 'torch LongStorage',
                        'torch HalfStorage', 'torch BoolStorage'}


@requires_torch
@pytest.mark.parametrize('name,expected', [('model.pt', 'model'), ('a.b.c.pth', 'a.b.c'),
                                           ('noext', 'noext'), ('x.', 'x'),
                                           ('ünï.pt', 'archive')])
def test_archive_folder_is_the_file_stem(name, expected, tmp_path):
    ember.save({'a': 1}, tmp_path / name)
    assert zipfile.ZipFile(tmp_path / name).namelist()[0] == expected + '/data.pkl'
    torch.save({'a': 1}, tmp_path / ('t' + name))
    assert zipfile.ZipFile(tmp_path / ('t' + name)).namelist()[0].split('/')[0] == \
        (expected if expected == 'archive' else 't' + expected)


def test_invalid_file_name_is_refused(tmp_path):
    with pytest.raises(RuntimeError, match='invalid file name'):
        ember.save({'a': 1}, tmp_path / '.hidden')
    assert not (tmp_path / '.hidden').exists()


def test_file_objects_use_archive_folder():
    assert zipfile.ZipFile(io.BytesIO(_ember_bytes(1))).namelist()[0] == 'archive/data.pkl'


def test_pickling_error_leaves_no_file(tmp_path):
    with pytest.raises((TypeError, AttributeError, pickle.PicklingError)):
        ember.save({'f': lambda x: x}, tmp_path / 'bad.pt')
    assert not (tmp_path / 'bad.pt').exists()


def test_save_to_object_without_write():
    with pytest.raises(AttributeError, match="no callable attribute 'write'"):
        ember.save(1, object())


# ---------------------------------------------------------------------------------------
# Parameters, attributes, plain data
# ---------------------------------------------------------------------------------------
@requires_torch
def test_parameters_both_ways():
    t = torch.nn.Parameter(torch.arange(4.))
    frozen = torch.nn.Parameter(torch.ones(2), requires_grad=False)
    loaded = ember.load(io.BytesIO(_torch_bytes([t, frozen])))
    assert type(loaded[0]) is ember.nn.Parameter and loaded[0].requires_grad
    assert type(loaded[1]) is ember.nn.Parameter and not loaded[1].requires_grad
    assert loaded[0].tolist() == [0, 1, 2, 3]
    e = ember.nn.Parameter(ember.arange(3.))
    back = torch.load(io.BytesIO(_ember_bytes({'p': e, 'view': e.data[1:]})))
    assert type(back['p']) is torch.nn.Parameter and back['p'].requires_grad
    assert back['view'].untyped_storage().data_ptr() == back['p'].untyped_storage().data_ptr()
    assert back['view'].tolist() == [1, 2]


@requires_torch
def test_tensor_attributes_and_requires_grad_both_ways():
    t = torch.arange(3.)
    t.note = 'hi'
    p = torch.nn.Parameter(torch.ones(2))
    p.tag = 5
    g = torch.ones(2, requires_grad=True) * 2          # non-leaf: saved as a leaf
    loaded = ember.load(io.BytesIO(_torch_bytes([t, p, g])))
    assert loaded[0].note == 'hi' and loaded[0].tolist() == [0, 1, 2]
    assert type(loaded[1]) is ember.nn.Parameter and loaded[1].tag == 5
    assert loaded[2].requires_grad and loaded[2].is_leaf
    e = ember.arange(3.)
    e.note = 'hi'
    ep = ember.nn.Parameter(ember.ones(2))
    ep.tag = 5
    eg = ember.ones(2, requires_grad=True) * 2
    back = torch.load(io.BytesIO(_ember_bytes([e, ep, eg])))
    assert back[0].note == 'hi' and back[0].tolist() == [0, 1, 2]
    assert type(back[1]) is torch.nn.Parameter and back[1].tag == 5
    assert back[2].requires_grad and back[2].is_leaf


def _plain_data(lib):
    return {'int': 3, 'float': 2.5, 'str': 'héllo', 'none': None, 'bool': [True, False],
            'tuple': (1, (2, 3), []), 'big': 2 ** 80, 'neg': -(2 ** 40), 'complex': 1 - 2j,
            'set': {1, 2}, 'bytes': b'\x00\xffab', 'bytearray': bytearray(b'xy'),
            'counter': Counter('aab'), 'ordered': OrderedDict(b=1, a=2),
            'size': lib.Size([2, 3]), 'device': lib.device('cpu'),
            'cuda': lib.device('cuda', 1), 'dtype': lib.float16, 'dtypes': [lib.int64,
                                                                              lib.bool],
            'layout': lib.strided, 'nested': {'a': [{'b': ({'c': 1.0},)}]}}


def _check_plain(loaded, lib):
    expected = _plain_data(lib)
    assert loaded.keys() == expected.keys()
    for key in expected:
        if key in ('size', 'device', 'cuda', 'dtype', 'dtypes', 'layout'):
            assert repr(loaded[key]).replace('torch.', 'X.').replace('ember.', 'X.') == \
                repr(expected[key]).replace('torch.', 'X.').replace('ember.', 'X.'), key
        else:
            assert loaded[key] == expected[key], key
            assert type(loaded[key]) is type(expected[key]), key
    assert type(loaded['size']) is lib.Size


@requires_torch
def test_plain_data_both_ways():
    loaded = ember.load(io.BytesIO(_torch_bytes(_plain_data(torch))))
    _check_plain(loaded, ember)
    assert loaded['dtype'] is ember.float16 and loaded['device'] == ember.device('cpu')
    back = torch.load(io.BytesIO(_ember_bytes(_plain_data(ember))))
    _check_plain(back, torch)
    assert back['dtype'] is torch.float16 and back['cuda'] == torch.device('cuda', 1)


def _adam_state(lib):
    """The layout of ``torch.optim.Adam(amsgrad=True).state_dict()`` after one step."""
    rng = np.random.default_rng(4)

    def t(*shape):
        return lib.from_numpy(rng.standard_normal(shape).astype(np.float32))
    state = {index: {'step': lib.tensor(1.0), 'exp_avg': t(*shape), 'exp_avg_sq': t(*shape),
                     'max_exp_avg_sq': t(*shape)}
             for index, shape in enumerate([(2, 3), (2,)])}
    groups = [{'lr': 0.001, 'betas': (0.9, 0.999), 'eps': 1e-08, 'weight_decay': 0,
               'amsgrad': True, 'maximize': False, 'foreach': None, 'capturable': False,
               'differentiable': False, 'fused': None, 'decoupled_weight_decay': False,
               'params': [0, 1]}]
    return {'state': state, 'param_groups': groups}


@requires_torch
def test_optimizer_state_dict_both_ways():
    state = _adam_state(torch)
    loaded = ember.load(io.BytesIO(_torch_bytes(state)))
    assert loaded['param_groups'] == state['param_groups']
    assert loaded['state'].keys() == state['state'].keys()
    for index, entry in state['state'].items():
        assert list(loaded['state'][index]) == list(entry)
        for name, value in entry.items():
            _same(loaded['state'][index][name], value)
    ember_state = _adam_state(ember)
    back = torch.load(io.BytesIO(_ember_bytes(ember_state)))
    assert back['param_groups'] == state['param_groups']
    for index, entry in ember_state['state'].items():
        for name, value in entry.items():
            _same(value, back['state'][index][name])
    t_pkl = zipfile.ZipFile(io.BytesIO(_torch_bytes(state))).read('archive/data.pkl')
    e_pkl = zipfile.ZipFile(io.BytesIO(_ember_bytes(ember_state))).read('archive/data.pkl')
    assert e_pkl == t_pkl


def _parameters_and_attributes(lib):
    p = lib.nn.Parameter(lib.from_numpy(np.arange(4, dtype=np.float32)))
    q = lib.nn.Parameter(lib.from_numpy(np.arange(2, dtype=np.float64)), requires_grad=False)
    q.tag = 'x'
    t = lib.from_numpy(np.ones(3, dtype=np.int64))
    t.note = 1
    g = lib.from_numpy(np.ones(2, dtype=np.float32)).requires_grad_()
    return {'p': p, 'q': q, 't': t, 'g': g, 'again': [p, p]}


@requires_torch
@pytest.mark.parametrize('make', [_plain_data, _adam_state, _parameters_and_attributes],
                         ids=['plain', 'adam', 'parameters'])
def test_pickle_bytes_match_torch(make):
    t = zipfile.ZipFile(io.BytesIO(_torch_bytes(make(torch)))).read('archive/data.pkl')
    e = zipfile.ZipFile(io.BytesIO(_ember_bytes(make(ember)))).read('archive/data.pkl')
    assert e == t


@requires_torch
def test_big_endian_checkpoint_is_swapped():
    obj = {name: _sample(torch, name) for name in DTYPES}
    data = _torch_bytes(obj)
    keys = {}
    pkl = zipfile.ZipFile(io.BytesIO(data)).read('archive/data.pkl')
    for op, arg, _ in pickletools.genops(pkl):   # storage key -> dtype, in order
        if op.name == 'GLOBAL' and arg.endswith('Storage'):
            storage = arg.split()[1]
        if op.name == 'BINUNICODE' and arg.isdigit():
            keys[arg] = storage
    sizes = {'Bool': 1, 'Byte': 1, 'Char': 1, 'Short': 2, 'Int': 4, 'Long': 8, 'Half': 2,
             'BFloat16': 2, 'Float': 4, 'Double': 8, 'ComplexFloat': 4, 'ComplexDouble': 8}

    def swap(name, payload):
        if name.endswith('/byteorder'):
            return name, b'big'
        if '/data/' in name:
            item = sizes[keys[name.rsplit('/', 1)[1]][:-len('Storage')]]
            if item > 1:
                payload = np.frombuffer(payload, f'<u{item}').byteswap().tobytes()
        return name, payload
    loaded = ember.load(io.BytesIO(_rezip(data, swap)))
    for name in DTYPES:
        _same(loaded[name], obj[name])


def test_checkpoint_without_byteorder_record():
    data = _ember_bytes({'a': ember.arange(3.)}, _disable_byteorder_record=True)
    assert 'archive/byteorder' not in zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert ember.load(io.BytesIO(data))['a'].tolist() == [0, 1, 2]


def test_storages_are_written_in_the_order_met_and_keys_numbered():
    tensors = [ember.full((2,), float(i)) for i in range(12)]   # keys '10', '11' after '9'
    data = _ember_bytes(tensors)
    names = [n for n in zipfile.ZipFile(io.BytesIO(data)).namelist() if '/data/' in n]
    assert names == [f'archive/data/{i}' for i in range(12)]
    loaded = ember.load(io.BytesIO(data))
    assert [t[0].item() for t in loaded] == [float(i) for i in range(12)]


def test_pickle_protocol_4_round_trip():
    obj = {'w': ember.arange(4.), 'v': (1, 'a')}
    data = _ember_bytes(obj, pickle_protocol=4)
    pkl = zipfile.ZipFile(io.BytesIO(data)).read('archive/data.pkl')
    assert b'\x93' in pkl                   # STACK_GLOBAL names torch's globals
    loaded = ember.load(io.BytesIO(data))
    assert loaded['w'].tolist() == [0, 1, 2, 3] and loaded['v'] == (1, 'a')


# ---------------------------------------------------------------------------------------
# paths, file objects, prefixes, legacy format, mmap
# ---------------------------------------------------------------------------------------
def test_paths_pathlib_and_file_objects(tmp_path):
    obj = {'a': ember.arange(3)}
    ember.save(obj, str(tmp_path / 's.pt'))
    ember.save(obj, tmp_path / 'p.pt')
    with open(tmp_path / 'f.pt', 'wb') as f:
        ember.save(obj, f)
    for loaded in [ember.load(str(tmp_path / 's.pt')), ember.load(tmp_path / 'p.pt'),
                   ember.load(open(tmp_path / 'f.pt', 'rb')),
                   ember.load(io.BytesIO((tmp_path / 'f.pt').read_bytes()))]:
        assert loaded['a'].tolist() == [0, 1, 2]


class _ReadOnly:
    """A minimal file-like object: read() only, not seekable."""
    def __init__(self, data):
        self._buffer = io.BytesIO(data)

    def read(self, n=-1):
        return self._buffer.read(n)


def test_unseekable_file_object():
    assert ember.load(_ReadOnly(_ember_bytes([1, 2])))[1] == 2


def test_prefix_is_read_from_the_archive():
    data = _ember_bytes({'a': ember.ones(2)})
    renamed = _rezip(data, lambda n, b: ('other_name' + n[len('archive'):], b))
    assert ember.load(io.BytesIO(renamed))['a'].tolist() == [1, 1]


def test_compressed_records_still_load():
    data = _ember_bytes({'a': ember.arange(100.)})
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            target.writestr(name, source.read(name))
    assert ember.load(io.BytesIO(out.getvalue()))['a'][99].item() == 99


@requires_torch
def test_legacy_format_written_by_torch_loads():
    base = torch.arange(6.)
    obj = {'a': base, 'v': base[2:4], 'i': torch.tensor([1, 2]), 'n': 3}
    buffer = io.BytesIO()
    torch.save(obj, buffer, _use_new_zipfile_serialization=False)
    for weights_only in (True, False):
        loaded = ember.load(io.BytesIO(buffer.getvalue()), weights_only=weights_only)
        for key in ('a', 'v', 'i'):
            _same(loaded[key], obj[key])
        assert loaded['v'].untyped_storage() is loaded['a'].untyped_storage()
        assert loaded['n'] == 3


@requires_torch
def test_legacy_format_written_by_ember_loads_in_torch():
    base = ember.arange(6.)
    obj = {'a': base, 'v': base[2:4], 'i': ember.tensor([1, 2])}
    buffer = io.BytesIO()
    ember.save(obj, buffer, _use_new_zipfile_serialization=False)
    loaded = torch.load(io.BytesIO(buffer.getvalue()))
    for key in obj:
        _same(obj[key], loaded[key])
    again = ember.load(io.BytesIO(buffer.getvalue()))
    assert again['v'].tolist() == [2, 3] and again['i'].dtype is ember.int64


def test_mmap_load(tmp_path):
    ember.save({'a': ember.arange(10.), 'b': ember.ones(3, dtype=ember.int64)},
               tmp_path / 'm.pt')
    loaded = ember.load(tmp_path / 'm.pt', mmap=True)
    assert loaded['a'].tolist() == list(range(10)) and loaded['b'].tolist() == [1, 1, 1]
    loaded['a'][0] = 5.0                         # copy-on-write: the file is untouched
    assert ember.load(tmp_path / 'm.pt')['a'][0].item() == 0.0
    with pytest.raises(ValueError, match='file path'):
        ember.load(io.BytesIO(_ember_bytes(1)), mmap=True)


# ---------------------------------------------------------------------------------------
# map_location
# ---------------------------------------------------------------------------------------
def _cuda_file(lib_bytes):
    """A checkpoint whose storages are tagged as saved on cuda:0."""
    def move(name, payload):
        if name.endswith('/data.pkl'):
            payload = payload.replace(b'X\x03\x00\x00\x00cpu', b'X\x06\x00\x00\x00cuda:0')
        return name, payload
    return _rezip(lib_bytes, move)


CPU_MAPS = [None, 'cpu', ember.device('cpu'), b'cpu', {'cuda:0': 'cpu'},
            {'cuda:0': ember.device('cpu')}, lambda storage, location: storage,
            lambda storage, location: storage.cpu()]


@pytest.mark.parametrize('map_location', CPU_MAPS)
def test_map_location_to_cpu(map_location):
    base = ember.arange(3.)
    data = _ember_bytes({'a': base, 'b': base[1:]})
    loaded = ember.load(io.BytesIO(data), map_location=map_location)
    assert loaded['a'].device == ember.device('cpu') and loaded['a'].tolist() == [0, 1, 2]
    assert loaded['b'].untyped_storage() is loaded['a'].untyped_storage()


def test_map_location_callable_sees_storage_and_location():
    seen = []

    def record(storage, location):
        seen.append((location, storage.nbytes(), storage.device))
    loaded = ember.load(io.BytesIO(_ember_bytes(ember.ones(4))), map_location=record)
    assert seen == [('cpu', 16, ember.device('cpu'))] and loaded.tolist() == [1] * 4


@requires_torch
@pytest.mark.parametrize('map_location', [None, 'cuda', 'cuda:0', ember.device('cuda', 0)])
def test_cuda_checkpoint_without_cuda_raises(map_location):
    if ember.cuda.is_available():
        pytest.skip('a cuda device is available')
    data = _cuda_file(_torch_bytes({'a': torch.ones(2)}))
    with pytest.raises(RuntimeError, match='ember.cuda.is_available'):
        ember.load(io.BytesIO(data), map_location=map_location)
    with pytest.raises(RuntimeError, match='torch.cuda.is_available'):
        torch.load(io.BytesIO(data), map_location=map_location if not isinstance(
            map_location, ember.device) else str(map_location))


@requires_torch
@pytest.mark.parametrize('map_location', ['cpu', {'cuda:0': 'cpu'}, ember.device('cpu'),
                                          lambda storage, location: storage])
def test_cuda_checkpoint_maps_to_cpu(map_location):
    data = _cuda_file(_torch_bytes({'a': torch.arange(2.)}))
    loaded = ember.load(io.BytesIO(data), map_location=map_location)
    assert loaded['a'].device == ember.device('cpu') and loaded['a'].tolist() == [0, 1]


def test_simulated_cuda_round_trip():
    with ember.testing.simulated_cuda(device_count=2):
        base = ember.arange(6., device='cuda:1')
        data = _ember_bytes({'a': base, 'v': base[1:3]})
        pkl = zipfile.ZipFile(io.BytesIO(data)).read('archive/data.pkl')
        assert b'cuda:1' in pkl
        loaded = ember.load(io.BytesIO(data))
        assert loaded['a'].device == ember.device('cuda', 1)
        assert loaded['v'].untyped_storage() is loaded['a'].untyped_storage()
        assert loaded['v'].tolist() == [1, 2]
        moved = ember.load(io.BytesIO(data), map_location={'cuda:1': 'cuda:0'})
        assert moved['a'].device == ember.device('cuda', 0)
        on_cpu = ember.load(io.BytesIO(data), map_location='cpu')
        assert on_cpu['v'].device == ember.device('cpu') and on_cpu['v'].tolist() == [1, 2]
        to_cuda = ember.load(io.BytesIO(_ember_bytes(ember.ones(2))),
                             map_location=lambda storage, location: storage.cuda(1))
        assert to_cuda.device == ember.device('cuda', 1)
        with pytest.raises(RuntimeError, match='device_count'):
            ember.load(io.BytesIO(data), map_location='cuda:5')
    with pytest.raises(RuntimeError, match='is_available'):
        ember.load(io.BytesIO(data))
    assert ember.load(io.BytesIO(data), map_location='cpu')['a'].tolist() == list(range(6))


def test_unknown_location_and_bad_map_location():
    data = _ember_bytes(ember.ones(2))
    with pytest.raises(RuntimeError, match="tagged with mps"):
        ember.load(io.BytesIO(data), map_location='mps')
    with pytest.raises(TypeError, match='map_location'):
        ember.load(io.BytesIO(data), map_location=3)


# ---------------------------------------------------------------------------------------
# weights_only: what is refused, and never run
# ---------------------------------------------------------------------------------------
def _malicious_pickle(command, module='posix', name='system'):
    """A protocol-2 pickle of {'x': <module.name>(command)}, written by hand."""
    text = command.encode()
    return (b'\x80\x02}q\x00X\x01\x00\x00\x00xq\x01c' + module.encode() + b'\n' +
            name.encode() + b'\nq\x02X' + struct.pack('<I', len(text)) + text +
            b'\x85q\x03Rq\x04s.')


@pytest.mark.parametrize('module,name,shown', [
    ('posix', 'system', 'posix.system'), ('os', 'system', 'os.system'),
    ('nt', 'system', 'nt.system'), ('subprocess', 'check_output', 'subprocess.check_output'),
    ('__builtin__', 'eval', 'eval'), ('builtins', 'exec', 'exec')])
def test_malicious_pickle_is_refused_and_not_run(module, name, shown, tmp_path):
    marker = tmp_path / 'pwned'
    command = f'touch {marker}'
    data = _with_pickle(_ember_bytes({'x': 1}), _malicious_pickle(command, module, name))
    with pytest.raises(pickle.UnpicklingError, match=shown.replace('.', r'\.')) as info:
        ember.load(io.BytesIO(data))
    assert 'Weights only load failed' in str(info.value)
    assert not marker.exists()
    with pytest.raises(pickle.UnpicklingError):
        ember.load(io.BytesIO(data), weights_only=True)
    assert not marker.exists()


@requires_torch
def test_malicious_torch_saved_object_is_refused(tmp_path):
    marker = tmp_path / 'pwned'

    class Evil:
        def __reduce__(self):
            return (os.system, (f'touch {marker}',))
    data = _torch_bytes({'x': Evil()})
    with pytest.raises(pickle.UnpicklingError, match='whose module posix is blocked'):
        ember.load(io.BytesIO(data))
    assert not marker.exists()


class Point:
    """A user class: needs weights_only=False or an allow-list entry."""
    def __init__(self, x):
        self.x = x

    def __eq__(self, other):
        return isinstance(other, Point) and other.x == self.x


def test_user_classes_need_weights_only_false_or_allow_list():
    data = _ember_bytes({'p': Point(3), 't': ember.ones(1)})
    with pytest.raises(pickle.UnpicklingError, match='test_serialization.Point'):
        ember.load(io.BytesIO(data))
    loaded = ember.load(io.BytesIO(data), weights_only=False)
    assert loaded['p'] == Point(3) and loaded['t'].tolist() == [1]
    with serialization.safe_globals([Point]):
        assert ember.load(io.BytesIO(data))['p'] == Point(3)
    with pytest.raises(pickle.UnpicklingError):
        ember.load(io.BytesIO(data))
    assert ember.load(io.BytesIO(data), pickle_module=pickle)['p'] == Point(3)
    with pytest.raises(RuntimeError, match='explicit pickle_module'):
        ember.load(io.BytesIO(data), pickle_module=pickle, weights_only=True)


def test_whole_ember_module_round_trip_with_weights_only_false():
    ember.manual_seed(0)
    model = ember.nn.Sequential(ember.nn.Linear(3, 2), ember.nn.Tanh())
    data = _ember_bytes(model)
    with pytest.raises(pickle.UnpicklingError, match='Sequential'):
        ember.load(io.BytesIO(data))
    loaded = ember.load(io.BytesIO(data), weights_only=False)
    x = ember.ones(2, 3)
    assert type(loaded) is ember.nn.Sequential
    np.testing.assert_array_equal(_np(loaded(x)), _np(model(x)))


@requires_torch
def test_whole_torch_module_loads_with_weights_only_false():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Tanh())
    data = _torch_bytes(model)
    with pytest.raises(pickle.UnpicklingError, match='torch.nn.modules.container.Sequential'):
        ember.load(io.BytesIO(data))
    loaded = ember.load(io.BytesIO(data), weights_only=False)
    assert type(loaded) is ember.nn.Sequential
    assert type(loaded[0].weight) is ember.nn.Parameter
    x = np.random.default_rng(5).standard_normal((2, 3)).astype(np.float32)
    np.testing.assert_allclose(_np(loaded(ember.from_numpy(x))),
                               model(torch.from_numpy(x)).detach().numpy(), rtol=1e-6,
                               atol=1e-6)


@pytest.mark.parametrize('payload,message', [
    (b'\x80\x02c__builtin__\nfrozenset\n]\x85R.', 'frozenset'),
    (b'\x80\x02ctorch\nuint16\n.', 'no dtype torch.uint16'),
    (b'\x80\x02ctorch._utils\n_rebuild_sparse_tensor\n.', 'sparse'),
    (b'\x80\x02(X\x03\x00\x00\x00abcQ.', 'persistent_load of storage'),
    (b'\x80\x02]q\x00cbuiltins\nset\nq\x01b.', 'Can only build'),
    (b'\x80\x02ctorch\nfloat32\n)R.', 'unrecognized function'),
    (b'\x80\x02I1\n.', 'Unsupported operand'),
    (b'\x80\x02(K\x01K\x02', 'truncated'),
    (b'\x80\x02h\x05.', 'Memo value not found'),
    (b'\x80\x02]K\x01K\x02s.', 'Can only SETITEM'),
    (b'\x80\x02c_codecs\nencode\nX\x01\x00\x00\x00aX\x04\x00\x00\x00zlib\x86R.', 'encoding'),
])
def test_weights_only_refuses(payload, message):
    data = _with_pickle(_ember_bytes(0), payload)
    with pytest.raises(pickle.UnpicklingError, match=message):
        ember.load(io.BytesIO(data))


@requires_torch
def test_torch_refuses_what_ember_refuses():
    """Our allow-list mirrors PyTorch's: frozenset is refused by both."""
    data = _torch_bytes({'s': frozenset([1])})
    with pytest.raises(pickle.UnpicklingError):
        torch.load(io.BytesIO(data))
    with pytest.raises(pickle.UnpicklingError, match='frozenset'):
        ember.load(io.BytesIO(data))
    assert ember.load(io.BytesIO(data), weights_only=False) == {'s': frozenset([1])}


def test_weights_only_accepts_data_opcodes_of_newer_protocols():
    obj = {'a': frozenset(), 'b': {1, 2}, 'c': b'xyz', 'd': 'é' * 3, 'e': [(1,)] * 2}
    data = _with_pickle(_ember_bytes(0), pickle.dumps(
        {k: v for k, v in obj.items() if k != 'a'}, protocol=5))
    assert ember.load(io.BytesIO(data)) == {k: v for k, v in obj.items() if k != 'a'}


# ---------------------------------------------------------------------------------------
# truncated and corrupted files
# ---------------------------------------------------------------------------------------
def _checkpoint():
    return _ember_bytes({'w': ember.arange(64.), 'b': ember.ones(3), 'n': 'name'})


@pytest.mark.parametrize('length', [4, 10, 100, 300, 1000, -200, -30, -1])
def test_truncated_files_raise(length):
    data = _checkpoint()
    with pytest.raises(RuntimeError, match='corrupted|truncated'):
        ember.load(io.BytesIO(data[:length]))


def test_truncated_file_on_disk(tmp_path):
    (tmp_path / 'cut.pt').write_bytes(_checkpoint()[:-500])
    with pytest.raises(RuntimeError, match='corrupted'):
        ember.load(tmp_path / 'cut.pt')


@pytest.mark.parametrize('record', ['data/0', 'data/1', 'data.pkl'])
def test_flipped_byte_in_a_record_is_detected(record):
    data = bytearray(_checkpoint())
    row = next(r for r in _zip_layout(bytes(data)) if r[0] == f'archive/{record}')
    data[row[2] + row[3] // 2] ^= 0xFF
    with pytest.raises(RuntimeError, match='CRC-32'):
        ember.load(io.BytesIO(bytes(data)))


def test_missing_or_resized_storage_record():
    data = _checkpoint()
    dropped = _rezip(data, lambda n, b: (n.replace('data/1', 'data/9'), b))
    with pytest.raises(RuntimeError, match="no record 'data/1'"):
        ember.load(io.BytesIO(dropped))
    shrunk = _rezip(data, lambda n, b: (n, b[:-4] if n.endswith('data/0') else b))
    with pytest.raises(RuntimeError, match='expects'):
        ember.load(io.BytesIO(shrunk))


def test_out_of_bounds_view_in_pickle_is_refused():
    data = _ember_bytes(ember.arange(4.))
    pkl = zipfile.ZipFile(io.BytesIO(data)).read('archive/data.pkl')
    bad = pkl.replace(b'K\x04\x85', b'K\x09\x85', 1)       # size 9 on a 4-element storage
    assert bad != pkl
    with pytest.raises(RuntimeError, match='out of bounds'):
        ember.load(io.BytesIO(_with_pickle(data, bad)))


def test_empty_and_garbage_files():
    with pytest.raises(EOFError):
        ember.load(io.BytesIO(b''))
    with pytest.raises(RuntimeError, match='magic number'):
        ember.load(io.BytesIO(b'hello world, not a checkpoint'))
    with pytest.raises(RuntimeError, match='data.pkl'):
        out = io.BytesIO()
        with zipfile.ZipFile(out, 'w') as z:
            z.writestr('x/readme.txt', 'hi')
        ember.load(io.BytesIO(out.getvalue()))


# ---------------------------------------------------------------------------------------
# plain pickle and copy of tensors
# ---------------------------------------------------------------------------------------
def test_pickle_round_trip_keeps_views_and_sharing():
    base = ember.arange(12, dtype=ember.float64)
    obj = [base, base.view(3, 4).t(), base[5:], ember.tensor(3, dtype=ember.int16)]
    obj[0].requires_grad_(True)
    loaded = pickle.loads(pickle.dumps(obj))
    for a, b in zip(obj, loaded):
        assert a.dtype is b.dtype and a.shape == b.shape and a.stride() == b.stride()
        assert a.storage_offset() == b.storage_offset()
        np.testing.assert_array_equal(_np(a), _np(b))
    assert loaded[0].requires_grad and not loaded[1].requires_grad
    assert loaded[1].untyped_storage() is loaded[0].untyped_storage()
    with ember.no_grad():
        loaded[0][6] = -1.0
    assert loaded[2][1].item() == -1.0
    assert base[6].item() == 6.0                    # a copy, not the original memory


def test_pickle_parameter_and_attributes():
    p = ember.nn.Parameter(ember.ones(2))
    t = ember.zeros(2)
    t.label = 'x'
    lp, lt = pickle.loads(pickle.dumps([p, t]))
    assert type(lp) is ember.nn.Parameter and lp.requires_grad
    assert lt.label == 'x' and lt.tolist() == [0, 0]


def test_copy_copy_shares_memory_like_torch():
    t = ember.arange(4.)
    c = copy.copy(t)
    assert c is not t and c.untyped_storage() is t.untyped_storage()
    t[0] = 9.0
    assert c[0].item() == 9.0


def test_deepcopy_still_copies():
    t = ember.arange(4.)
    d = copy.deepcopy(t)
    t[0] = 9.0
    assert d[0].item() == 0.0


# ---------------------------------------------------------------------------------------
# safetensors
# ---------------------------------------------------------------------------------------
def _safetensors_parts(data):
    n = struct.unpack('<Q', data[:8])[0]
    return n, json.loads(data[8:8 + n]), data[8 + n:]


def test_safetensors_format_by_hand():
    tensors = {'b': ember.tensor([1, 2], dtype=ember.int64), 'a': ember.ones(2, 3),
               'c': ember.tensor([True]), 'h': ember.zeros(0, dtype=ember.float16)}
    data = est.save(tensors, metadata={'format': 'pt'})
    n, header, body = _safetensors_parts(data)
    assert (8 + n) % 8 == 0 and data[8:8 + n].endswith(b'}' + b' ' * ((8 - (len(
        data[8:8 + n].rstrip()) % 8)) % 8))
    assert list(header) == ['__metadata__', 'b', 'a', 'h', 'c']     # I64, F32, F16, BOOL
    assert header['__metadata__'] == {'format': 'pt'}
    assert header['b'] == {'dtype': 'I64', 'shape': [2], 'data_offsets': [0, 16]}
    assert header['a'] == {'dtype': 'F32', 'shape': [2, 3], 'data_offsets': [16, 40]}
    assert header['h'] == {'dtype': 'F16', 'shape': [0], 'data_offsets': [40, 40]}
    assert header['c'] == {'dtype': 'BOOL', 'shape': [1], 'data_offsets': [40, 41]}
    assert body[:16] == np.array([1, 2], '<i8').tobytes() and body[40:] == b'\x01'
    assert data[8:9] == b'{' and b' ' not in data[8:8 + n].rstrip()


@pytest.mark.parametrize('name', [d for d in DTYPES if d != 'complex128'])
def test_safetensors_round_trip(name, tmp_path):
    tensors = {'x': _sample(ember, name), 'scalar': _sample(ember, name, ()),
               'empty': _sample(ember, name, (0, 2))}
    est.save_file(tensors, tmp_path / 'w.safetensors', metadata={'k': 'v'})
    for loaded in [est.load_file(tmp_path / 'w.safetensors'),
                   serialization.load_file(tmp_path / 'w.safetensors'),
                   est.load(est.save(tensors)),
                   ember.load(tmp_path / 'w.safetensors')]:
        assert list(loaded) == sorted(tensors)
        for key, t in tensors.items():
            assert loaded[key].dtype is t.dtype and loaded[key].shape == t.shape
            np.testing.assert_array_equal(_np(loaded[key]), _np(t))
    with est.safe_open(tmp_path / 'w.safetensors', 'pt') as f:
        assert f.keys() == ['empty', 'scalar', 'x'] and f.metadata() == {'k': 'v'}
        assert f.get_tensor('x').shape == (2, 3)


def test_safetensors_writer_rules():
    base = ember.arange(6.)
    with pytest.raises(RuntimeError, match='share memory'):
        est.save({'a': base, 'b': base[2:]})
    est.save({'a': base[:3].contiguous(), 'b': base[3:]})       # disjoint views are fine
    with pytest.raises(ValueError, match='non contiguous'):
        est.save({'t': base.view(2, 3).t()})
    with pytest.raises(ValueError, match='dtype'):
        est.save({'c': ember.zeros(2, dtype=ember.complex128)})
    with pytest.raises(ValueError, match='str'):
        est.save({1: base})
    with pytest.raises(ValueError, match='metadata'):
        est.save({'a': base}, metadata={'k': 1})


@pytest.mark.parametrize('mutate,message', [
    (lambda d: d[:6], 'HeaderTooSmall'),
    (lambda d: struct.pack('<Q', 10 ** 9) + d[8:], 'HeaderTooLarge'),
    (lambda d: d[:20], 'InvalidHeaderLength'),
    (lambda d: d[:-1], 'MetadataIncompleteBuffer'),
    (lambda d: d + b'\0', 'MetadataIncompleteBuffer'),
    (lambda d: d.replace(b'"F32"', b'"F64"'), 'invalid shape'),
    (lambda d: d.replace(b'[0,24]', b'[4,28]'), 'invalid offset'),
    (lambda d: d.replace(b'"F32"', b'"U16"'), 'U16'),
    (lambda d: d.replace(b'{"x"', b'["x"'), 'deserializing header'),
])
def test_safetensors_reader_validates(mutate, message):
    data = est.save({'x': ember.ones(2, 3)})
    with pytest.raises(est.SafetensorError, match=message):
        est.load(mutate(data))


def test_safetensors_to_simulated_cuda(tmp_path):
    est.save_file({'w': ember.arange(3.)}, tmp_path / 'w.safetensors')
    with ember.testing.simulated_cuda():
        loaded = est.load_file(tmp_path / 'w.safetensors', device='cuda:0')
        assert loaded['w'].device == ember.device('cuda', 0)
        assert loaded['w'].cpu().tolist() == [0, 1, 2]


@requires_torch
def test_safetensors_package_interop(tmp_path):
    st = pytest.importorskip('safetensors.torch')
    tensors = {'a': ember.arange(6.).view(2, 3), 'b': ember.tensor([1, 2])}
    est.save_file(tensors, tmp_path / 'e.safetensors', metadata={'m': '1'})
    loaded = st.load_file(tmp_path / 'e.safetensors')
    assert loaded['a'].tolist() == [[0, 1, 2], [3, 4, 5]] and loaded['b'].tolist() == [1, 2]
    st.save_file({'a': torch.arange(6.).view(2, 3), 'b': torch.tensor([1, 2])},
                 tmp_path / 't.safetensors', metadata={'m': '1'})
    assert (tmp_path / 't.safetensors').read_bytes() == \
        (tmp_path / 'e.safetensors').read_bytes()
