"""Instance normalization layers: InstanceNorm1d/2d/3d and their lazy forms.

Each channel of each sample is normalized over its spatial dims. By default there are no
affine parameters and no running statistics (``affine=False, track_running_stats=False``).
"""
import warnings

from .batchnorm import _NormBase, _LazyNormMixin
from .. import functional as F

__all__ = ['InstanceNorm1d', 'InstanceNorm2d', 'InstanceNorm3d', 'LazyInstanceNorm1d',
           'LazyInstanceNorm2d', 'LazyInstanceNorm3d']


class _InstanceNorm(_NormBase):

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False,
                 track_running_stats=False, device=None, dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats,
                         device=device, dtype=dtype, bias=bias)

    def _check_input_dim(self, input):
        raise NotImplementedError

    def _get_no_batch_dim(self):
        raise NotImplementedError

    def _handle_no_batch_input(self, input):
        return self._apply_instance_norm(input.unsqueeze(0)).squeeze(0)

    def _apply_instance_norm(self, input):
        return F.instance_norm(input, self.running_mean, self.running_var, self.weight,
                               self.bias, self.training or not self.track_running_stats,
                               self.momentum if self.momentum is not None else 0.0, self.eps)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        version = local_metadata.get('version', None)
        # Checkpoints from before version 1 saved running statistics even without
        # track_running_stats: report them rather than load them.
        if version is None and not self.track_running_stats:
            keys = [prefix + name for name in ('running_mean', 'running_var')
                    if prefix + name in state_dict]
            if keys:
                klass = type(self).__name__
                names = ' and '.join(f'"{k}"' for k in keys)
                error_msgs.append(
                    f'Unexpected running stats buffer(s) {names} for {klass} with '
                    'track_running_stats=False. If state_dict is a checkpoint saved before '
                    f'0.4.0, this may be expected because {klass} does not track running '
                    'stats by default since 0.4.0. Please remove these keys from state_dict. '
                    'If the running stats are actually needed, instead set '
                    f'track_running_stats=True in {klass} to enable them. See the '
                    f'documentation of {klass} for details.')
                for key in keys:
                    state_dict.pop(key)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict,
                                      missing_keys, unexpected_keys, error_msgs)

    def forward(self, input):
        self._check_input_dim(input)
        feature_dim = input.dim() - self._get_no_batch_dim()
        if input.size(feature_dim) != self.num_features:
            if self.affine:
                raise ValueError(f"expected input's size at dim={feature_dim} to match "
                                 f'num_features ({self.num_features}), but got: '
                                 f'{input.size(feature_dim)}.')
            warnings.warn(f"input's size at dim={feature_dim} does not match num_features. "
                          'You can silence this warning by not passing in num_features, '
                          'which is not used because affine=False', stacklevel=2)
        if input.dim() == self._get_no_batch_dim():
            return self._handle_no_batch_input(input)
        return self._apply_instance_norm(input)


class InstanceNorm1d(_InstanceNorm):
    """Instance normalization over a (N, C, L) or unbatched (C, L) input."""

    def _get_no_batch_dim(self):
        return 2

    def _check_input_dim(self, input):
        if input.dim() not in (2, 3):
            raise ValueError(f'expected 2D or 3D input (got {input.dim()}D input)')


class InstanceNorm2d(_InstanceNorm):
    """Instance normalization over a (N, C, H, W) or unbatched (C, H, W) input."""

    def _get_no_batch_dim(self):
        return 3

    def _check_input_dim(self, input):
        if input.dim() not in (3, 4):
            raise ValueError(f'expected 3D or 4D input (got {input.dim()}D input)')


class InstanceNorm3d(_InstanceNorm):
    """Instance normalization over a (N, C, D, H, W) or unbatched (C, D, H, W) input."""

    def _get_no_batch_dim(self):
        return 4

    def _check_input_dim(self, input):
        if input.dim() not in (4, 5):
            raise ValueError(f'expected 4D or 5D input (got {input.dim()}D input)')


class LazyInstanceNorm1d(_LazyNormMixin, InstanceNorm1d):
    """An InstanceNorm1d whose ``num_features`` is inferred from ``input.size(1)`` (like
    PyTorch's, it defaults to ``affine=True, track_running_stats=True``)."""
    cls_to_become = InstanceNorm1d


class LazyInstanceNorm2d(_LazyNormMixin, InstanceNorm2d):
    """An InstanceNorm2d whose ``num_features`` is inferred from ``input.size(1)``."""
    cls_to_become = InstanceNorm2d


class LazyInstanceNorm3d(_LazyNormMixin, InstanceNorm3d):
    """An InstanceNorm3d whose ``num_features`` is inferred from ``input.size(1)``."""
    cls_to_become = InstanceNorm3d
