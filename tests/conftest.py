import os
import sys

import pytest

# Run against the working tree even when ember is not installed.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import ember  # noqa: E402


@pytest.fixture(autouse=True)
def _restore_global_state():
    """Tests may change the default dtype, print options, grad mode or seeds: undo it."""
    dtype = ember.get_default_dtype()
    options = ember.get_printoptions()
    grad = ember.is_grad_enabled()
    yield
    ember.set_default_dtype(dtype)
    ember.set_printoptions(**{k: v for k, v in options.items()})
    ember.set_grad_enabled(grad)
