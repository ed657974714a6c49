"""Devices, streams and events of the fake CuPy. Every fake NCCL call completes before it
returns, so streams have nothing queued and events are done as soon as they are recorded."""
__all__ = ['Device', 'Stream', 'Event', 'get_current_stream']

_current = [0]


class Device:
    """``with Device(i):`` makes ``i`` the current device (what a new communicator binds to)."""

    def __init__(self, device=None):
        self.id = _current[0] if device is None else int(device)
        self._previous = []

    def __enter__(self):
        self._previous.append(_current[0])
        _current[0] = self.id
        return self

    def __exit__(self, *exc):
        _current[0] = self._previous.pop()
        return False

    def use(self):
        """Make this the current device (outside any ``with`` block)."""
        _current[0] = self.id

    def synchronize(self):
        pass


def current_device_id():
    return _current[0]


class Stream:
    def __init__(self, ptr=0):
        self.ptr = ptr

    @property
    def done(self):
        return True

    def synchronize(self):
        pass


_streams = {}


def get_current_stream(device_id=-1):
    """The default stream of the current device (address 0, as CuPy's legacy null stream)."""
    device = _current[0] if device_id < 0 else device_id
    return _streams.setdefault(device, Stream(0))


class Event:
    def __init__(self, block=False, disable_timing=False, interprocess=False):
        self.recorded = False

    def record(self, stream=None):
        self.recorded = True

    @property
    def done(self):
        return True

    def synchronize(self):
        pass
