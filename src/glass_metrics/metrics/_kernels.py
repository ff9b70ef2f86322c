"""A compiled kernel that reads the regression inputs once and sums every statistic on the way.

Why it exists: in numpy each block had to be cast to float64 before it could be summed,
which cost about one more pass over the data plus several passes over the cast copy, so the
regression suite ran at three to five times the cost of merely reading the inputs. This numba
kernel reads float32 or float64 values once and accumulates in float64.

Without fast-math the compiler may not reorder a floating-point sum, so a plain loop over the
samples would add one value at a time. The kernel keeps ``LANES`` accumulators per output and
statistic side by side in memory instead: the loop over them holds no reduction, and the
compiler turns it into SIMD instructions. Every addition happens in an order fixed by the
data alone (within a block, lane ``r`` takes rows ``r``, ``r + LANES``, ...; then the lanes
are added in order), so an (n, k) array, its k columns one at a time, and a float32 array and
its float64 copy all give bit-identical sums.

A NaN or infinity in the input makes a sum non-finite, which is how the caller detects bad
input without a separate pass. The kernel is compiled on first use for each input dtype
(float32, float64) and cached on disk (``cache=True``). numba is imported only when this
module is: by the first regression update, so commands that never compute a regression
metric do not pay for it.
"""

from __future__ import annotations

import numba
import numpy as np

from glass_metrics.metrics._common import REGRESSION_SUMS as SUMS

#: Accumulators per output and statistic: a multiple of the widest SIMD register in doubles,
#: and long enough that the loop over them pays off its set-up even with a single output.
LANES = 64


@numba.njit(inline="always")
def _accumulate(t, p, lane_shift, acc):
    for f in range(len(t)):
        tv = np.float64(t[f])
        tc = tv - lane_shift[f]
        d = np.float64(p[f]) - tv
        d2 = d * d
        acc[0, f] += tc
        acc[1, f] += tc * tc
        acc[2, f] += d2
        acc[3, f] += abs(d)
        acc[4, f] += d2 * d2


@numba.njit(inline="always")
def _fold(acc, out):
    k = out.shape[1]
    for s in range(acc.shape[0]):
        for j in range(k):
            total = 0.0
            for r in range(LANES):
                total += acc[s, r * k + j]
            out[s, j] += total
    acc[:] = 0.0


@numba.njit(cache=True, nogil=True)
def add_sums(t, p, shift, out, block_rows):
    """Add the sums of C-contiguous (n, k) arrays ``t`` and ``p`` into ``out`` (5, k).

    ``t`` and ``p`` share one dtype, float32 or float64; ``shift`` holds k float64 values.
    Each block of ``block_rows`` rows is summed on its own and then added to ``out``, so
    calling this on consecutive slices of ``block_rows`` rows (or a multiple) gives exactly
    what one call on the whole array gives.
    """
    n, k = t.shape
    width = k * LANES
    acc = np.zeros((len(SUMS), width))
    lane_shift = np.empty(width)
    for f in range(width):
        lane_shift[f] = shift[f % k]

    flat_t, flat_p = t.reshape(-1), p.reshape(-1)
    for start in range(0, n * k, block_rows * k):
        stop = min(start + block_rows * k, n * k)
        for first in range(start, stop, width):
            last = min(first + width, stop)
            _accumulate(flat_t[first:last], flat_p[first:last], lane_shift, acc)
        _fold(acc, out)
