"""Keep freed array memory in the C heap for reuse (glibc on Linux only).

ember's ops allocate a fresh NumPy array per result. With glibc's defaults, blocks of a few
MB are handed back to the kernel when freed and every new one is faulted in page by page
again, which costs more than the arithmetic on them (0.4 ms per MB here). Raising the mmap
threshold to 32 MB and the trim threshold to 128 MB lets freed blocks be reused instead, as
PyTorch's users get from jemalloc/tcmalloc. At most 128 MB of freed memory stays mapped.
Set EMBER_MALLOC_TUNING=0 to leave the C allocator untouched.
"""
import os
import sys

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20
TRIM_THRESHOLD = 128 << 20


def tune():
    """Apply the settings once; False where they do not apply (not glibc, or opted out)."""
    if not sys.platform.startswith('linux') or os.environ.get('EMBER_MALLOC_TUNING') == '0':
        return False
    try:
        import ctypes
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
        libc.gnu_get_libc_version  # glibc only: musl and others have no such knobs
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and \
        bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))


tuned = tune()
