"""ember: PyTorch's programming model in pure Python on NumPy.

``import ember as torch`` runs PyTorch programs of the covered API: tensors with real
storage and strides, PyTorch's type promotion and printing, define-by-run autograd, nn,
optim and data loading.
"""
__version__ = '0.1.0'

from . import _allocator  # noqa: F401  (reuse freed array memory: see the module)
from . import _dtype
from ._dtype import (dtype, bool, uint8, int8, int16, int32, int64, float16, bfloat16,  # noqa
                     float32, float64, complex64, complex128, get_default_dtype,
                     set_default_dtype, promote_types, can_cast, finfo, iinfo)
from ._dtype import result_type as _result_type  # noqa: F401
from ._device import device, get_default_device, set_default_device  # noqa: F401
from ._memory_format import (memory_format, contiguous_format, channels_last,  # noqa: F401
                             channels_last_3d, preserve_format, layout, strided, sparse_coo)
from ._tensor import Tensor, Size  # noqa: F401
from ._storage import UntypedStorage  # noqa: F401
from . import autograd  # noqa: F401  (attaches backward, register_hook...)
from . import _ops  # noqa: F401  (attaches every op to Tensor)
from ._ops.creation import *  # noqa: F401,F403
from ._ops.creation import (FloatTensor, DoubleTensor, HalfTensor, BFloat16Tensor,  # noqa
                            IntTensor, LongTensor, ShortTensor, CharTensor, ByteTensor,
                            BoolTensor)
from ._ops.views import *  # noqa: F401,F403
from ._ops.elementwise import *  # noqa: F401,F403
from ._ops.reduction import *  # noqa: F401,F403
from ._ops.indexing import *  # noqa: F401,F403
from ._ops.joining import *  # noqa: F401,F403
from ._ops.linalg import *  # noqa: F401,F403
from ._ops.sorting import *  # noqa: F401,F403
from ._ops.rearrange import *  # noqa: F401,F403
from ._ops.random import (rand, randn, randint, randperm, rand_like, randn_like,  # noqa
                          randint_like, normal, bernoulli, multinomial, poisson, manual_seed,
                          seed, initial_seed, get_rng_state, set_rng_state, Generator,
                          default_generator)
from .autograd.grad_mode import (no_grad, enable_grad, set_grad_enabled,  # noqa: F401
                                 inference_mode, is_grad_enabled, is_inference_mode_enabled)
from .autograd.anomaly_mode import (is_anomaly_enabled,  # noqa: F401
                                    is_anomaly_check_nan_enabled)
from ._printing import set_printoptions, get_printoptions  # noqa: F401
from ._args import typename  # noqa: F401

# The public types print as ``<class 'ember.Tensor'>``, as PyTorch's print as
# ``<class 'torch.Tensor'>`` (pickle finds them under these names too).
for _public in (Tensor, Size, dtype, device):
    _public.__module__ = 'ember'
del _public
from . import cuda, return_types  # noqa: F401
from ._torch_alias import install_as_torch, uninstall_as_torch  # noqa: F401

half, float, double = float16, float32, float64  # noqa: A001 - PyTorch's aliases
short, int, long = int16, int32, int64  # noqa: A001
cfloat, cdouble = complex64, complex128


def result_type(tensor1, tensor2):
    """The dtype an arithmetic op on the two operands (tensors or numbers) would produce."""
    return _result_type(tensor1, tensor2)


def is_tensor(obj):
    """True when ``obj`` is an ember Tensor."""
    return isinstance(obj, Tensor)


def is_floating_point(input):
    return input.is_floating_point()


def is_complex(input):
    return input.is_complex()


def numel(input):
    return input.numel()


def is_nonzero(input):
    if input.numel() != 1:
        from ._tensor import _ambiguous
        raise RuntimeError(_ambiguous(input.numel()))
    return builtins_bool(input.item())


import builtins as _builtins  # noqa: E402
builtins_bool = _builtins.bool


class _CPUModule:
    """``ember.cpu``: the cpu device is always there."""

    @staticmethod
    def is_available():
        return True

    @staticmethod
    def device_count():
        return 1

    @staticmethod
    def current_device():
        return 'cpu'

    @staticmethod
    def synchronize(device=None):
        pass


cpu = _CPUModule()


class _MPS:
    @staticmethod
    def is_available():
        return False

    @staticmethod
    def is_built():
        return False


class _Backends:
    mps = _MPS()


backends = _Backends()


def get_num_threads():
    import os
    return os.cpu_count() or 1


def set_num_threads(n):
    """Accepted for compatibility; NumPy's BLAS decides its own thread count."""


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Accepted for compatibility: ember's ops are deterministic."""


def compile(model=None, **kwargs):  # noqa: A001
    """No compiler in ember: returns the model (or a decorator doing nothing)."""
    if model is None:
        return lambda m: m
    return model


# Subpackages load on first use (``ember.nn`` or ``import ember.nn``), as NumPy's and SciPy's
# do, so that ``import ember`` stays a fraction of ``import torch``'s start-up time.
_LAZY_SUBMODULES = frozenset(['nn', 'optim', 'utils', 'linalg', 'distributed', 'testing',
                              'serialization', 'safetensors'])
_FROM_SERIALIZATION = frozenset(['save', 'load'])
# PyTorch also exposes these nn.functional ops at the top level (``torch.softmax``).
_FUNCTIONAL_ALIASES = frozenset([
    'dropout', 'alpha_dropout', 'feature_alpha_dropout',
    'cosine_similarity', 'pairwise_distance', 'pdist', 'batch_norm', 'layer_norm',
    'group_norm', 'instance_norm', 'conv1d', 'conv2d', 'conv3d', 'conv_transpose1d',
    'conv_transpose2d', 'embedding', 'embedding_bag', 'threshold', 'celu', 'selu', 'rrelu',
    'hardshrink', 'prelu', 'max_pool1d', 'max_pool2d', 'max_pool3d', 'avg_pool1d',
    'adaptive_avg_pool1d', 'adaptive_max_pool1d', 'pixel_shuffle', 'pixel_unshuffle',
    'channel_shuffle', 'bilinear', 'ctc_loss', 'hinge_embedding_loss', 'kl_div',
    'margin_ranking_loss', 'poisson_nll_loss', 'triplet_margin_loss', 'cosine_embedding_loss',
    'binary_cross_entropy_with_logits', 'native_layer_norm', 'native_batch_norm', 'rms_norm',
    'local_response_norm'])


def __getattr__(name):
    import importlib
    if name in _LAZY_SUBMODULES:
        return importlib.import_module('.' + name, __name__)
    if name in _FROM_SERIALIZATION:
        from . import serialization
        value = getattr(serialization, name)
        globals()[name] = value
        return value
    if name in ('softmax', 'log_softmax'):   # the Tensor method's signature, not F's
        from .nn._functional import activation
        value = getattr(activation, '_tensor_' + name)
        globals()[name] = value
        return value
    if name in _FUNCTIONAL_ALIASES:
        from .nn import functional
        if hasattr(functional, name):
            value = getattr(functional, name)
            globals()[name] = value
            return value
    raise AttributeError(f"module 'ember' has no attribute '{name}'")


def __dir__():
    return sorted(set(globals()) | _LAZY_SUBMODULES | _FROM_SERIALIZATION | _FUNCTIONAL_ALIASES)
