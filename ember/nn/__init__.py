"""``ember.nn``: modules, parameters, layers, losses, ``functional`` and ``init``."""
from .parameter import Parameter, Buffer, UninitializedParameter  # noqa: F401
from .modules import *  # noqa: F401,F403
from .modules import Module  # noqa: F401
from . import functional, init, parameter, utils, parallel  # noqa: F401
