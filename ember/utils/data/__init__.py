"""``ember.utils.data``: datasets, samplers and the DataLoader (PyTorch's structure)."""
from .dataset import *  # noqa: F401,F403
from .sampler import *  # noqa: F401,F403
from .collate import default_collate, default_convert  # noqa: F401
from .worker import get_worker_info  # noqa: F401
from .dataloader import DataLoader  # noqa: F401
from . import distributed  # noqa: F401
