"""Batch normalization layers: BatchNorm1d/2d/3d, their lazy forms, and SyncBatchNorm.

``_NormBase`` holds what batch and instance norm share: the optional affine ``weight`` and
``bias`` (ones and zeros), the running statistics buffers ``running_mean``, ``running_var``
and ``num_batches_tracked`` (int64), and the loading of old checkpoints that lack
``num_batches_tracked``.
"""
import numpy as np

from .module import Module
from .. import functional as F
from .. import init
from .._functional import normalization as _norm
from ..parameter import Parameter, UninitializedParameter
from ... import _dtype as dt
from ..._ops.creation import empty, zeros, ones, tensor
from ..._tensor import make_tensor
from ...autograd.function import Function

__all__ = ['BatchNorm1d', 'BatchNorm2d', 'BatchNorm3d', 'LazyBatchNorm1d', 'LazyBatchNorm2d',
           'LazyBatchNorm3d', 'SyncBatchNorm']


class _NormBase(Module):
    """Common base of batch and instance normalization."""
    _version = 2

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        if self.affine:
            self.weight = Parameter(empty(num_features, device=device, dtype=dtype))
            if bias:
                self.bias = Parameter(empty(num_features, device=device, dtype=dtype))
            else:
                self.register_parameter('bias', None)
        else:
            self.register_parameter('weight', None)
            self.register_parameter('bias', None)
        if self.track_running_stats:
            self.register_buffer('running_mean', zeros(num_features, device=device,
                                                       dtype=dtype))
            self.register_buffer('running_var', ones(num_features, device=device, dtype=dtype))
            self.register_buffer('num_batches_tracked', tensor(0, dtype=dt.int64,
                                                               device=device))
        else:
            self.register_buffer('running_mean', None)
            self.register_buffer('running_var', None)
            self.register_buffer('num_batches_tracked', None)
        self.reset_parameters()

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self):
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def _check_input_dim(self, input):
        raise NotImplementedError

    def extra_repr(self):
        return (f'{self.num_features}, eps={self.eps}, momentum={self.momentum}, '
                f'affine={self.affine}, bias={self.bias is not None}, '
                f'track_running_stats={self.track_running_stats}')

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        version = local_metadata.get('version', None)
        if (version is None or version < 2) and self.track_running_stats:
            # Checkpoints from before version 2 have no num_batches_tracked: start at 0.
            key = prefix + 'num_batches_tracked'
            if key not in state_dict:
                state_dict[key] = self.num_batches_tracked \
                    if self.num_batches_tracked is not None else tensor(0, dtype=dt.int64)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict,
                                      missing_keys, unexpected_keys, error_msgs)


class _BatchNorm(_NormBase):

    def forward(self, input):
        self._check_input_dim(input)
        # momentum=None means a cumulative moving average (factor 1 / batches seen).
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            if self.num_batches_tracked is not None:
                self.num_batches_tracked.add_(1)
                if self.momentum is None:
                    factor = 1.0 / float(self.num_batches_tracked)
                else:
                    factor = self.momentum
        if self.training:
            use_batch_stats = True
        else:
            use_batch_stats = self.running_mean is None and self.running_var is None
        # Buffers are passed only when they are updated (training and tracked) or used
        # (evaluation with buffers).
        track = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if track else None,
                            self.running_var if track else None, self.weight, self.bias,
                            use_batch_stats, factor, self.eps)


class BatchNorm1d(_BatchNorm):
    """Batch normalization over a (N, C) or (N, C, L) input, per channel C.

    In training the batch's mean and (biased) variance normalize the input and the running
    estimates are updated with ``momentum`` (``None``: cumulative average); in evaluation
    the running estimates are used (unless ``track_running_stats=False``).
    """

    def _check_input_dim(self, input):
        if input.dim() != 2 and input.dim() != 3:
            raise ValueError(f'expected 2D or 3D input (got {input.dim()}D input)')


class BatchNorm2d(_BatchNorm):
    """Batch normalization over a (N, C, H, W) input, per channel C."""

    def _check_input_dim(self, input):
        if input.dim() != 4:
            raise ValueError(f'expected 4D input (got {input.dim()}D input)')


class BatchNorm3d(_BatchNorm):
    """Batch normalization over a (N, C, D, H, W) input, per channel C."""

    def _check_input_dim(self, input):
        if input.dim() != 5:
            raise ValueError(f'expected 5D input (got {input.dim()}D input)')


# ---------------------------------------------------------------------------------------
# lazy forms: num_features is read off the first input
# ---------------------------------------------------------------------------------------
class _LazyNormMixin:
    """Parameters and running statistics stay unallocated until the first forward."""
    cls_to_become = None

    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 device=None, dtype=None, *, bias=True):
        # Build with nothing to allocate, then mark what the first input will size.
        super().__init__(0, eps, momentum, False, False, device=device, dtype=dtype,
                         bias=False)
        self.affine = affine
        self.track_running_stats = track_running_stats
        self._lazy_factory = (device, dtype)
        if affine:
            self.weight = UninitializedParameter(device=device, dtype=dtype)
            if bias:
                self.bias = UninitializedParameter(device=device, dtype=dtype)
        if track_running_stats:
            self.running_mean = empty(0, device=device, dtype=dtype)
            self.running_var = empty(0, device=device, dtype=dtype)
            self.num_batches_tracked = tensor(0, dtype=dt.int64, device=device)
        self._lazy_hook = self.register_forward_pre_hook(_LazyNormMixin._infer)

    def reset_parameters(self):
        if self.num_features != 0:
            super().reset_parameters()

    def _uninitialized(self):
        return isinstance(self.weight, UninitializedParameter) or (
            self.track_running_stats and self.running_mean.numel() == 0)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        # Loading a checkpoint sizes the buffers (parameters materialize in Module's loader);
        # like PyTorch's, num_features stays 0.
        loaded = state_dict.get(prefix + 'running_mean')
        if self.track_running_stats and self.running_mean.numel() == 0 and \
                loaded is not None:
            device, dtype = self._lazy_factory
            self.running_mean = zeros(loaded.shape, device=device, dtype=dtype)
            self.running_var = ones(loaded.shape, device=device, dtype=dtype)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict,
                                      missing_keys, unexpected_keys, error_msgs)

    @staticmethod
    def _infer(module, args):
        input = args[0]
        if not module._uninitialized() or not (module.affine or module.track_running_stats):
            # Nothing to size (already loaded, or nothing to allocate): the layer becomes
            # its plain form as it is, as PyTorch's does.
            module._finish_lazy()
            return
        module.num_features = input.shape[1]
        device, dtype = module._lazy_factory
        if module.affine:
            module.weight.materialize((module.num_features,))
            if module.bias is not None:
                module.bias.materialize((module.num_features,))
        if module.track_running_stats:
            module.running_mean = zeros(module.num_features, device=device, dtype=dtype)
            module.running_var = ones(module.num_features, device=device, dtype=dtype)
        module.reset_parameters()
        module._finish_lazy()

    def _finish_lazy(self):
        self._lazy_hook.remove()
        del self._lazy_hook
        del self._lazy_factory
        self.__class__ = self.cls_to_become


class LazyBatchNorm1d(_LazyNormMixin, BatchNorm1d):
    """A BatchNorm1d whose ``num_features`` is inferred from ``input.size(1)``."""
    cls_to_become = BatchNorm1d


class LazyBatchNorm2d(_LazyNormMixin, BatchNorm2d):
    """A BatchNorm2d whose ``num_features`` is inferred from ``input.size(1)``."""
    cls_to_become = BatchNorm2d


class LazyBatchNorm3d(_LazyNormMixin, BatchNorm3d):
    """A BatchNorm3d whose ``num_features`` is inferred from ``input.size(1)``."""
    cls_to_become = BatchNorm3d


# ---------------------------------------------------------------------------------------
# synchronized batch norm (statistics over all ranks of a process group)
# ---------------------------------------------------------------------------------------
def _all_reduce(array, process_group):
    from ... import distributed as dist
    t = make_tensor(np.ascontiguousarray(array, dtype=np.float64), dt.float64)
    dist.all_reduce(t, group=process_group)
    return t._data


class _SyncBatchNormFunction(Function):
    """Batch norm whose mean and variance are those of the batch of every rank together:
    per-channel sums, sums of squares and counts are all-reduced in forward, the two
    per-channel sums of the input gradient in backward. The weight and bias gradients stay
    local (DistributedDataParallel averages them)."""

    @staticmethod
    def forward(ctx, input, weight, bias, running_mean, running_var, eps, momentum,
                process_group, world_size):
        x = input._data
        channels = x.shape[1]
        layout = _norm._channel_layout(x)
        if layout is None:
            x, layout = np.ascontiguousarray(x), _norm._CONTIGUOUS
        compute = _norm._compute_dtype(x.dtype)
        x3 = _norm._as_compute(_norm._to_channel_view(x, layout, channels), compute)
        count = x3.size // channels
        local = np.concatenate([_norm._channel_sum(x3), _norm._channel_dot(x3, x3),
                                [count]]).astype(np.float64)
        total = _all_reduce(local, process_group)
        n = total[-1]
        if n <= 1:
            raise ValueError('Expected more than 1 value per channel when training, got '
                             f'input size {input.shape}')
        mean = total[:channels] / n
        var = np.maximum(total[channels:2 * channels] / n - mean * mean, 0)
        invstd = 1 / np.sqrt(var + eps)
        scale = invstd if weight is None else invstd * weight._data.astype(np.float64)
        shift = -mean * scale if bias is None else bias._data.astype(np.float64) - mean * scale
        out = x3 * _norm._col(scale.astype(compute))
        out += _norm._col(shift.astype(compute))
        if running_mean is not None:
            _norm._update_running(running_mean._data, running_var._data, mean, var, n,
                                  momentum)
        ctx.stats = (mean.astype(compute), invstd.astype(compute), n, layout, process_group)
        ctx.save_for_backward(input, weight)
        out = out.astype(x.dtype) if out.dtype != x.dtype else out
        return make_tensor(_norm._from_channel_view(out, x.shape, layout), input._dtype,
                           input._device)

    @staticmethod
    def backward(ctx, grad_output):
        input, weight = ctx.saved_tensors
        mean, invstd, n, layout, process_group = ctx.stats
        x = input._data
        channels = x.shape[1]
        compute = mean.dtype
        g3 = _norm._as_compute(_norm._to_channel_view(grad_output._data, layout, channels),
                               compute)
        centered = _norm._as_compute(_norm._to_channel_view(x, layout, channels), compute) - \
            _norm._col(mean)
        sum_dy = _norm._channel_sum(g3)
        sum_dy_xmu = _norm._channel_dot(g3, centered)
        grad_input = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            total = _all_reduce(np.concatenate([sum_dy, sum_dy_xmu]), process_group)
            mean_dy = (total[:channels] / n).astype(compute)
            mean_dy_xmu = (total[channels:] / n).astype(compute)
            k = invstd if weight is None else invstd * _norm._as_compute(weight._data, compute)
            gx = g3 * _norm._col(k)
            gx -= centered * _norm._col(k * invstd * invstd * mean_dy_xmu)
            gx -= _norm._col(k * mean_dy)
            grad_input = _norm._wrap(_norm._from_channel_view(gx, x.shape, layout),
                                     input._dtype, input._device)
        if weight is not None and ctx.needs_input_grad[1]:
            grad_weight = _norm._wrap(sum_dy_xmu * invstd, weight._dtype, weight._device)
        if ctx.needs_input_grad[2]:
            grad_bias = _norm._wrap(sum_dy, input._dtype, input._device)
        return grad_input, grad_weight, grad_bias, None, None, None, None, None, None


_SyncBatchNormFunction._backward_cls.__name__ = 'SyncBatchNormBackward'


class SyncBatchNorm(_BatchNorm):
    """Batch normalization whose training statistics cover the batches of all ranks of
    ``process_group`` (the world by default). Without an initialized process group, in
    evaluation mode, or with a single rank it is an ordinary batch norm. (Unlike PyTorch,
    which synchronizes accelerator tensors only, ember synchronizes cpu tensors too.)"""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, process_group=None, device=None, dtype=None, *,
                 bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats,
                         device=device, dtype=dtype, bias=bias)
        self.process_group = process_group

    def _check_input_dim(self, input):
        if input.dim() < 2:
            raise ValueError(f'expected at least 2D input (got {input.dim()}D input)')

    def _check_non_zero_input_channels(self, input):
        if input.size(1) == 0:
            raise ValueError('SyncBatchNorm number of input channels should be non-zero')

    def forward(self, input):
        self._check_input_dim(input)
        self._check_non_zero_input_channels(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.add_(1)
            factor = 1.0 / self.num_batches_tracked.item() if self.momentum is None \
                else self.momentum
        use_batch_stats = self.training or (self.running_mean is None and
                                            self.running_var is None)
        track = not self.training or self.track_running_stats
        running_mean = self.running_mean if track else None
        running_var = self.running_var if track else None
        from ... import distributed as dist
        world_size = 1
        if use_batch_stats and self.training and dist.is_initialized():
            world_size = dist.get_world_size(self.process_group)
        if world_size <= 1:
            return F.batch_norm(input, running_mean, running_var, self.weight, self.bias,
                                use_batch_stats, factor, self.eps)
        return _SyncBatchNormFunction.apply(input, self.weight, self.bias, running_mean,
                                            running_var, self.eps, factor, self.process_group,
                                            world_size)

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """``module`` with every BatchNorm layer in it replaced by a SyncBatchNorm sharing
        its parameters and buffers."""
        output = module
        if isinstance(module, _BatchNorm):
            output = SyncBatchNorm(module.num_features, module.eps, module.momentum,
                                   module.affine, module.track_running_stats, process_group,
                                   bias=module.bias is not None)
            if module.affine:
                output.weight = module.weight
                output.bias = module.bias
            output.running_mean = module.running_mean
            output.running_var = module.running_var
            output.num_batches_tracked = module.num_batches_tracked
            output.training = module.training
            if hasattr(module, 'qconfig'):
                output.qconfig = module.qconfig
        for name, child in module.named_children():
            output.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return output
