"""``ember.optim``: optimization algorithms, learning rate schedulers and weight averaging.

Mirrors ``torch.optim``: ``Optimizer`` and the concrete algorithms, ``lr_scheduler`` and
``swa_utils`` as submodules.
"""
from . import _functional, lr_scheduler, swa_utils  # noqa: F401
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .adamw import AdamW
from .asgd import ASGD
from .lbfgs import LBFGS
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD

__all__ = ['Adadelta', 'Adagrad', 'Adam', 'Adamax', 'AdamW', 'ASGD', 'LBFGS', 'lr_scheduler',
           'NAdam', 'Optimizer', 'RAdam', 'RMSprop', 'Rprop', 'SGD', 'swa_utils']
