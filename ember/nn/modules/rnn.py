"""Recurrent layers: RNN, LSTM, GRU and their single-step cells.

Parameters, their names (``weight_ih_l0``, ``bias_hh_l1_reverse``, ``weight_hr_l0``...), order
and initialisation follow PyTorch, so a seeded model starts from PyTorch's weights and a
PyTorch ``state_dict`` loads unchanged. The computation lives in ``nn/_functional/rnn.py``:
one fused graph node per layer and direction.
"""
import math
import numbers
import warnings

from .module import Module
from .. import init
from ..parameter import Parameter
from .._functional import rnn as _rnn
from ..utils.rnn import PackedSequence
from ..._ops.creation import empty, zeros
from ... import _dtype as dt

__all__ = ['RNNBase', 'RNN', 'LSTM', 'GRU', 'RNNCellBase', 'RNNCell', 'LSTMCell', 'GRUCell']

_GATES = {'LSTM': 4, 'GRU': 3, 'RNN_TANH': 1, 'RNN_RELU': 1}


def _apply_permutation(tensor, permutation, dim=1):
    return tensor.index_select(dim, permutation)


class RNNBase(Module):
    """Shared construction, checks and forward of RNN, LSTM and GRU."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, proj_size=0,
                 device=None, dtype=None):
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        num_directions = 2 if bidirectional else 1

        if not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1 or \
                isinstance(dropout, bool):
            raise ValueError('dropout should be a number in range [0, 1] representing the '
                             'probability of an element being zeroed')
        if dropout > 0 and num_layers == 1:
            warnings.warn('dropout option adds dropout after all but last recurrent layer, so '
                          'non-zero dropout expects num_layers greater than 1, but got '
                          f'dropout={dropout} and num_layers={num_layers}', stacklevel=2)
        if not isinstance(bias, bool):
            raise TypeError(f'bias should be of type bool, got: {type(bias).__name__}')
        if not isinstance(batch_first, bool):
            raise TypeError(f'batch_first should be of type bool, got: '
                            f'{type(batch_first).__name__}')
        if not isinstance(input_size, int):
            raise TypeError(f'input_size should be of type int, got: '
                            f'{type(input_size).__name__}')
        if input_size <= 0:
            raise ValueError('input_size must be greater than zero')
        if not isinstance(hidden_size, int):
            raise TypeError(f'hidden_size should be of type int, got: '
                            f'{type(hidden_size).__name__}')
        if hidden_size <= 0:
            raise ValueError('hidden_size must be greater than zero')
        if num_layers <= 0:
            raise ValueError('num_layers must be greater than zero')
        if proj_size < 0:
            raise ValueError('proj_size should be a positive integer or zero to disable '
                             'projections')
        if proj_size >= hidden_size:
            raise ValueError('proj_size has to be smaller than hidden_size')
        if mode not in _GATES:
            raise ValueError('Unrecognized RNN mode: ' + mode)
        gate_size = _GATES[mode] * hidden_size

        self._flat_weights_names = []
        self._all_weights = []
        real_hidden_size = proj_size if proj_size > 0 else hidden_size
        for layer in range(num_layers):
            for direction in range(num_directions):
                layer_input_size = input_size if layer == 0 else \
                    real_hidden_size * num_directions
                suffix = '_reverse' if direction == 1 else ''
                shapes = [('weight_ih_l{}{}', (gate_size, layer_input_size)),
                          ('weight_hh_l{}{}', (gate_size, real_hidden_size))]
                if bias:
                    shapes += [('bias_ih_l{}{}', (gate_size,)), ('bias_hh_l{}{}', (gate_size,))]
                if proj_size > 0:
                    shapes += [('weight_hr_l{}{}', (proj_size, hidden_size))]
                names = []
                for pattern, shape in shapes:
                    name = pattern.format(layer, suffix)
                    setattr(self, name, Parameter(empty(shape, device=device, dtype=dtype)))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    # ------------------------------------------------------------------ parameters
    @property
    def _flat_weights(self):
        # getattr, not _parameters: a weight replaced by a plain tensor (weight drop, weight
        # norm: ``del m.weight_hh_l0; m.weight_hh_l0 = w``) is used, as in PyTorch.
        return [getattr(self, name, None) for name in self._flat_weights_names]

    @property
    def all_weights(self):
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def flatten_parameters(self):
        """A no-op: ember's kernels use the parameters as they are (PyTorch compacts them
        for cuDNN)."""

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self):
        s = '{input_size}, {hidden_size}'
        if self.proj_size != 0:
            s += ', proj_size={proj_size}'
        if self.num_layers != 1:
            s += ', num_layers={num_layers}'
        if self.bias is not True:
            s += ', bias={bias}'
        if self.batch_first is not False:
            s += ', batch_first={batch_first}'
        if self.dropout != 0:
            s += ', dropout={dropout}'
        if self.bidirectional is not False:
            s += ', bidirectional={bidirectional}'
        return s.format(**self.__dict__)

    def __setstate__(self, state):
        super().__setstate__(state)
        if 'proj_size' not in self.__dict__:
            self.proj_size = 0

    # ------------------------------------------------------------------ checks
    def check_input(self, input, batch_sizes):
        weight_dtype = self._flat_weights[0].dtype
        if input.dtype != weight_dtype:
            raise ValueError(f'RNN input dtype ({input.dtype}) does not match weight dtype '
                             f'({weight_dtype}). Convert input: input.to({weight_dtype}), or '
                             f'convert model: model.to({input.dtype})')
        expected_input_dim = 2 if batch_sizes is not None else 3
        if input.dim() != expected_input_dim:
            raise RuntimeError(f'input must have {expected_input_dim} dimensions, got '
                               f'{input.dim()}')
        if self.input_size != input.size(-1):
            raise RuntimeError(f'input.size(-1) must be equal to input_size. Expected '
                               f'{self.input_size}, got {input.size(-1)}')

    def _mini_batch(self, input, batch_sizes):
        if batch_sizes is not None:
            return int(batch_sizes[0])
        return input.size(0) if self.batch_first else input.size(1)

    def get_expected_hidden_size(self, input, batch_sizes):
        num_directions = 2 if self.bidirectional else 1
        size = self.proj_size if self.proj_size > 0 else self.hidden_size
        return (self.num_layers * num_directions, self._mini_batch(input, batch_sizes), size)

    def check_hidden_size(self, hx, expected_hidden_size,
                          msg='Expected hidden size {}, got {}'):
        if tuple(hx.size()) != expected_hidden_size:
            raise RuntimeError(msg.format(expected_hidden_size, list(hx.size())))

    def check_forward_args(self, input, hidden, batch_sizes):
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    def permute_hidden(self, hx, permutation):
        if permutation is None:
            return hx
        return _apply_permutation(hx, permutation)

    # ------------------------------------------------------------------ computation
    def _node_name(self, input, packed):
        if packed:
            return 'CatBackward0'
        if self.mode == 'LSTM' and self.proj_size == 0 and input.dtype is dt.float32 and \
                input.numel():
            return 'MkldnnRnnLayerBackward0'   # PyTorch's oneDNN kernel on CPU
        return 'StackBackward0'

    def _run(self, input, h0, c0, batch_sizes):
        """The stacked layers on time-major ``input`` (or packed data); returns
        (output, h_n, c_n or None)."""
        from ..._ops.joining import cat, stack
        from .._functional.dropout import dropout as F_dropout
        packed = batch_sizes is not None
        if packed:
            steps = _rnn.packed_steps(batch_sizes._data.reshape(-1).tolist())
            out_shape = None
        else:
            T, B = input.shape[0], input.shape[1]
            if T == 0:
                raise RuntimeError('Expected sequence length to be larger than 0 in RNN')
            steps = _rnn.padded_steps(T, B)
            out_shape = None
        num_directions = 2 if self.bidirectional else 1
        node_name = self._node_name(input, packed)
        lstm = self.mode == 'LSTM'
        weights = self._flat_weights
        per_layer = len(weights) // (self.num_layers * num_directions)
        has_proj = self.proj_size > 0
        hs, cs = [], []
        x = input
        for layer in range(self.num_layers):
            outs = []
            for direction in range(num_directions):
                k = layer * num_directions + direction
                w = weights[k * per_layer:(k + 1) * per_layer]
                w_ih, w_hh = w[0], w[1]
                b_ih, b_hh = (w[2], w[3]) if self.bias else (None, None)
                w_hr = w[-1] if has_proj else None
                if not packed:
                    out_shape = (T, B, w_hh.shape[1])
                result = _rnn.run_layer(self.mode, node_name, x, (w_ih, w_hh, b_ih, b_hh, w_hr),
                                        h0[k], c0[k] if lstm else None, steps,
                                        direction == 1, out_shape)
                outs.append(result[0])
                hs.append(result[1])
                if lstm:
                    cs.append(result[2])
            x = outs[0] if num_directions == 1 else cat(outs, -1)
            if self.dropout != 0 and self.training and layer < self.num_layers - 1:
                x = F_dropout(x, self.dropout, True)
        return x, stack(hs), (stack(cs) if lstm else None)

    def _zeros(self, input, batch, size):
        num_directions = 2 if self.bidirectional else 1
        return zeros(self.num_layers * num_directions, batch, size, dtype=input.dtype,
                     device=input.device)


class RNN(RNNBase):
    """Elman RNN: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (or ReLU)."""

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, device=None,
                 dtype=None, **kwargs):
        if 'proj_size' in kwargs:
            raise ValueError('proj_size argument is only supported for LSTM, not RNN or GRU')
        if kwargs:
            raise TypeError(f"RNN.__init__() got an unexpected keyword argument "
                            f"'{next(iter(kwargs))}'")
        self.nonlinearity = nonlinearity
        if nonlinearity == 'tanh':
            mode = 'RNN_TANH'
        elif nonlinearity == 'relu':
            mode = 'RNN_RELU'
        else:
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or "
                             "'relu'.")
        super().__init__(mode, input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, 0, device, dtype)

    def __setattr__(self, name, value):
        if name == 'nonlinearity' and '_parameters' not in self.__dict__:
            object.__setattr__(self, name, value)
            return
        super().__setattr__(name, value)

    def forward(self, input, hx=None):
        return _single_state_forward(self, 'RNN', input, hx)


class GRU(RNNBase):
    """Gated recurrent unit (PyTorch's gate order r, z, n)."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None, **kwargs):
        if 'proj_size' in kwargs:
            raise ValueError('proj_size argument is only supported for LSTM, not RNN or GRU')
        if kwargs:
            raise TypeError(f"GRU.__init__() got an unexpected keyword argument "
                            f"'{next(iter(kwargs))}'")
        super().__init__('GRU', input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, 0, device, dtype)

    def forward(self, input, hx=None):
        return _single_state_forward(self, 'GRU', input, hx)


def _single_state_forward(self, name, input, hx):
    """forward of RNN and GRU (one state tensor)."""
    orig_input = input
    if isinstance(orig_input, PackedSequence):
        input, batch_sizes, sorted_indices, unsorted_indices = input
        if hx is None:
            hx = self._zeros(input, int(batch_sizes[0]), self.hidden_size)
        else:
            hx = self.permute_hidden(hx, sorted_indices)
        is_batched = True
    else:
        batch_sizes = None
        if input.dim() not in (2, 3):
            tail = ' tensor' if name == 'RNN' else ''
            raise ValueError(f'{name}: Expected input to be 2D or 3D, got {input.dim()}D'
                             f'{tail} instead')
        is_batched = input.dim() == 3
        batch_dim = 0 if self.batch_first else 1
        if not is_batched:
            input = input.unsqueeze(batch_dim)
            if hx is not None:
                if hx.dim() != 2:
                    raise RuntimeError('For unbatched 2-D input, hx should also be 2-D but got '
                                       f'{hx.dim()}-D tensor')
                hx = hx.unsqueeze(1)
        elif hx is not None and hx.dim() != 3:
            raise RuntimeError(f'For batched 3-D input, hx should also be 3-D but got '
                               f'{hx.dim()}-D tensor')
        sorted_indices = unsorted_indices = None
        if hx is None:
            hx = self._zeros(input, self._mini_batch(input, None), self.hidden_size)
    self.check_forward_args(input, hx, batch_sizes)
    x = input.transpose(0, 1) if (self.batch_first and batch_sizes is None) else input
    output, hidden, _ = self._run(x, hx, None, batch_sizes)
    if batch_sizes is not None:
        return (PackedSequence(output, batch_sizes, sorted_indices, unsorted_indices),
                self.permute_hidden(hidden, unsorted_indices))
    if self.batch_first:
        output = output.transpose_(0, 1)   # in place, as PyTorch (TransposeBackward1)
    if not is_batched:
        output = output.squeeze(0 if self.batch_first else 1)
        hidden = hidden.squeeze(1)
    return output, hidden


class LSTM(RNNBase):
    """Long short-term memory (PyTorch's gate order i, f, g, o), with optional projections
    of the hidden state (``proj_size``)."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__('LSTM', input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, device, dtype)

    def get_expected_cell_size(self, input, batch_sizes):
        num_directions = 2 if self.bidirectional else 1
        return (self.num_layers * num_directions, self._mini_batch(input, batch_sizes),
                self.hidden_size)

    def check_forward_args(self, input, hidden, batch_sizes):
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden[0], self.get_expected_hidden_size(input, batch_sizes),
                               'Expected hidden[0] size {}, got {}')
        self.check_hidden_size(hidden[1], self.get_expected_cell_size(input, batch_sizes),
                               'Expected hidden[1] size {}, got {}')

    def permute_hidden(self, hx, permutation):
        if permutation is None:
            return hx
        return _apply_permutation(hx[0], permutation), _apply_permutation(hx[1], permutation)

    def forward(self, input, hx=None):
        orig_input = input
        batch_sizes = None
        real_hidden_size = self.proj_size if self.proj_size > 0 else self.hidden_size
        if isinstance(orig_input, PackedSequence):
            input, batch_sizes, sorted_indices, unsorted_indices = input
            if hx is None:
                batch = int(batch_sizes[0])
                hx = (self._zeros(input, batch, real_hidden_size),
                      self._zeros(input, batch, self.hidden_size))
            else:
                hx = self.permute_hidden(hx, sorted_indices)
            self.check_forward_args(input, hx, batch_sizes)
            is_batched = True
        else:
            if input.dim() not in (2, 3):
                raise ValueError(f'LSTM: Expected input to be 2D or 3D, got {input.dim()}D '
                                 'instead')
            is_batched = input.dim() == 3
            batch_dim = 0 if self.batch_first else 1
            if not is_batched:
                input = input.unsqueeze(batch_dim)
            sorted_indices = unsorted_indices = None
            if hx is None:
                batch = self._mini_batch(input, None)
                hx = (self._zeros(input, batch, real_hidden_size),
                      self._zeros(input, batch, self.hidden_size))
            else:
                if is_batched:
                    if hx[0].dim() != 3 or hx[1].dim() != 3:
                        raise RuntimeError('For batched 3-D input, hx and cx should also be 3-D '
                                           f'but got ({hx[0].dim()}-D, {hx[1].dim()}-D) '
                                           'tensors')
                else:
                    if hx[0].dim() != 2 or hx[1].dim() != 2:
                        raise RuntimeError('For unbatched 2-D input, hx and cx should also be '
                                           f'2-D but got ({hx[0].dim()}-D, {hx[1].dim()}-D) '
                                           'tensors')
                    hx = (hx[0].unsqueeze(1), hx[1].unsqueeze(1))
            self.check_forward_args(input, hx, batch_sizes)
        x = input.transpose(0, 1) if (self.batch_first and batch_sizes is None) else input
        output, h_n, c_n = self._run(x, hx[0], hx[1], batch_sizes)
        hidden = (h_n, c_n)
        if batch_sizes is not None:
            return (PackedSequence(output, batch_sizes, sorted_indices, unsorted_indices),
                    self.permute_hidden(hidden, unsorted_indices))
        if self.batch_first:
            output = output.transpose(0, 1)   # out of place for LSTM in PyTorch
        if not is_batched:
            output = output.squeeze(0 if self.batch_first else 1)
            hidden = (hidden[0].squeeze(1), hidden[1].squeeze(1))
        return output, hidden


# ---------------------------------------------------------------------------------------
# cells
# ---------------------------------------------------------------------------------------
class RNNCellBase(Module):
    """Parameters and initialisation shared by the cells."""

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(empty((num_chunks * hidden_size, input_size), device=device,
                                         dtype=dtype))
        self.weight_hh = Parameter(empty((num_chunks * hidden_size, hidden_size),
                                         device=device, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(empty(num_chunks * hidden_size, device=device, dtype=dtype))
            self.bias_hh = Parameter(empty(num_chunks * hidden_size, device=device, dtype=dtype))
        else:
            self.register_parameter('bias_ih', None)
            self.register_parameter('bias_hh', None)
        self.reset_parameters()

    def extra_repr(self):
        s = '{input_size}, {hidden_size}'
        if 'bias' in self.__dict__ and self.bias is not True:
            s += ', bias={bias}'
        if 'nonlinearity' in self.__dict__ and self.nonlinearity != 'tanh':
            s += ', nonlinearity={nonlinearity}'
        return s.format(**self.__dict__)

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _check_dims(self, name, input, states):
        if input.dim() not in (1, 2):
            raise ValueError(f'{name}: Expected input to be 1D or 2D, got {input.dim()}D '
                             'instead')
        for label, value in states:
            if value is not None and value.dim() not in (1, 2):
                raise ValueError(f'{name}: Expected {label} to be 1D or 2D, got '
                                 f'{value.dim()}D instead')

    def _check_sizes(self, input, states):
        if input.size(1) != self.input_size:
            raise RuntimeError(f'input has inconsistent input_size: got {input.size(1)} '
                               f'expected {self.input_size}')
        for k, h in enumerate(states):
            if input.size(0) != h.size(0):
                raise RuntimeError(f"Input batch size {input.size(0)} doesn't match hidden{k} "
                                   f'batch size {h.size(0)}')
            if h.size(1) != self.hidden_size:
                raise RuntimeError(f'hidden{k} has inconsistent hidden_size: got {h.size(1)}, '
                                   f'expected {self.hidden_size}')
        for t in (self.weight_ih,) + tuple(states):
            if t.dtype != input.dtype:
                from ..._ops.elementwise import _type_name
                raise RuntimeError(f'mat1 and mat2 must have the same dtype, but got '
                                   f'{_type_name(input.dtype)} and {_type_name(t.dtype)}')

    def _step(self, mode, node_name, input, h, c=None):
        B = input.shape[0]
        result = _rnn.run_layer(mode, node_name, input,
                                (self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh,
                                 None), h, c, ((0, B),), False, None)
        return result


class RNNCell(RNNCellBase):
    """One step of an Elman RNN."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity='tanh', device=None,
                 dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device,
                         dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        self._check_dims('RNNCell', input, [('hidden', hx)])
        is_batched = input.dim() == 2
        if not is_batched:
            input = input.unsqueeze(0)
        if hx is None:
            hx = zeros(input.size(0), self.hidden_size, dtype=input.dtype, device=input.device)
        elif not is_batched:
            hx = hx.unsqueeze(0)
        if self.nonlinearity == 'tanh':
            mode, node = 'RNN_TANH', 'TanhBackward0'
        elif self.nonlinearity == 'relu':
            mode, node = 'RNN_RELU', 'ReluBackward0'
        else:
            raise RuntimeError(f'Unknown nonlinearity: {self.nonlinearity}')
        self._check_sizes(input, (hx,))
        ret = self._step(mode, node, input, hx)[0]
        return ret.squeeze(0) if not is_batched else ret


class LSTMCell(RNNCellBase):
    """One step of an LSTM; returns ``(h_1, c_1)``."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device,
                         dtype=dtype)

    def forward(self, input, hx=None):
        self._check_dims('LSTMCell', input,
                         [] if hx is None else [(f'hx[{i}]', v) for i, v in enumerate(hx)])
        is_batched = input.dim() == 2
        if not is_batched:
            input = input.unsqueeze(0)
        if hx is None:
            z = zeros(input.size(0), self.hidden_size, dtype=input.dtype, device=input.device)
            hx = (z, z)
        elif not is_batched:
            hx = (hx[0].unsqueeze(0), hx[1].unsqueeze(0))
        self._check_sizes(input, hx)
        _, h, c = self._step('LSTM', 'MulBackward0', input, hx[0], hx[1])
        if not is_batched:
            return h.squeeze(0), c.squeeze(0)
        return h, c


class GRUCell(RNNCellBase):
    """One step of a GRU."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device,
                         dtype=dtype)

    def forward(self, input, hx=None):
        self._check_dims('GRUCell', input, [('hidden', hx)])
        is_batched = input.dim() == 2
        if not is_batched:
            input = input.unsqueeze(0)
        if hx is None:
            hx = zeros(input.size(0), self.hidden_size, dtype=input.dtype, device=input.device)
        elif not is_batched:
            hx = hx.unsqueeze(0)
        self._check_sizes(input, (hx,))
        ret = self._step('GRU', 'AddBackward0', input, hx)[0]
        return ret.squeeze(0) if not is_batched else ret
