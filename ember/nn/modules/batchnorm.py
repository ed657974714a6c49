"""Batch normalization layers: BatchNorm1d/2d/3d and their lazy forms.

``_NormBase`` holds what batch and instance norm share: the optional affine ``weight`` and
``bias`` (ones and zeros), the running statistics buffers ``running_mean``, ``running_var``
and ``num_batches_tracked`` (int64), and the loading of old checkpoints that lack
``num_batches_tracked``.
"""
from .module import Module
from .. import functional as F
from .. import init
from ..parameter import Parameter, UninitializedParameter
from ... import _dtype as dt
from ..._ops.creation import empty, zeros, ones, tensor

__all__ = ['BatchNorm1d', 'BatchNorm2d', 'BatchNorm3d', 'LazyBatchNorm1d', 'LazyBatchNorm2d',
           'LazyBatchNorm3d']


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

    @staticmethod
    def _infer(module, args):
        input = args[0]
        if not (module.affine or module.track_running_stats):
            # Nothing to size: the layer becomes its plain form with num_features 0, as
            # PyTorch's does.
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
