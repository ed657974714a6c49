"""Anomaly detection: with it on, backward checks every gradient a node returns for NaN and
names the node that produced one (PyTorch also records forward tracebacks; ember does not)."""
import warnings

from .grad_mode import state

__all__ = ['detect_anomaly', 'set_detect_anomaly', 'is_anomaly_enabled',
           'is_anomaly_check_nan_enabled']

_WARNING = ('Anomaly Detection has been enabled. This mode will increase the runtime and should '
            'only be enabled for debugging.')


def is_anomaly_enabled():
    return state.anomaly


def is_anomaly_check_nan_enabled():
    return state.anomaly_nan


class detect_anomaly:
    """Context manager (and decorator) turning anomaly detection on inside its block."""

    def __init__(self, check_nan=True):
        self.check_nan = check_nan
        self.prev = None
        warnings.warn(_WARNING, UserWarning, stacklevel=2)

    def __enter__(self):
        self.prev = (state.anomaly, state.anomaly_nan)
        state.anomaly, state.anomaly_nan = True, self.check_nan

    def __exit__(self, *exc):
        state.anomaly, state.anomaly_nan = self.prev
        return False

    def __call__(self, func):
        import functools

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self:
                return func(*args, **kwargs)
        return wrapper


class set_detect_anomaly:
    """Turn anomaly detection on or off, at once and as a context manager."""

    def __init__(self, mode, check_nan=True):
        self.prev = (state.anomaly, state.anomaly_nan)
        state.anomaly, state.anomaly_nan = bool(mode), bool(check_nan)

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        state.anomaly, state.anomaly_nan = self.prev
        return False


def check_nan(node, grads):
    """Raise PyTorch's error when a node's backward returned NaN (anomaly mode only)."""
    for i, g in enumerate(grads):
        if g is not None and (g._dtype.is_floating_point or g._dtype.is_complex) and \
                bool(_xp_isnan(g._data).any()):
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th "
                               'output.')


def _xp_isnan(array):
    import numpy as np
    return np.isnan(array)   # CuPy arrays dispatch through __array_ufunc__
