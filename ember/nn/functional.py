"""``ember.nn.functional``: the function form of every layer and loss.

Each family lives in ``ember/nn/_functional/<family>.py``; this module gathers them.
"""
from ._functional.linear import *  # noqa: F401,F403
from ._functional.activation import *  # noqa: F401,F403
from ._functional.dropout import *  # noqa: F401,F403
from ._functional.loss import *  # noqa: F401,F403
from ._functional.conv import *  # noqa: F401,F403
from ._functional.pooling import *  # noqa: F401,F403
from ._functional.normalization import *  # noqa: F401,F403
from ._functional.sparse import *  # noqa: F401,F403
from ._functional.attention import *  # noqa: F401,F403
from ._functional.vision import *  # noqa: F401,F403
from ._functional.distance import *  # noqa: F401,F403


def _publish():
    """The functions gathered here report this module as theirs (``typename``, pickling by
    reference and reprs then say ``ember.nn.functional.relu``, as PyTorch's do)."""
    import types
    for value in list(globals().values()):
        if isinstance(value, types.FunctionType) and \
                value.__module__.startswith(__name__.rpartition('.')[0] + '._functional.'):
            value.__module__ = __name__


_publish()
