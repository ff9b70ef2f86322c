"""How long the end-to-end demo takes on this machine (target: under 3 minutes on 2 cores).

    .venv/bin/python benchmarks/bench_demo.py [--size full|small]

Runs ``glass-metrics demo`` in a fresh temporary folder as a new user would, then a second
time (which appends to the history), and prints the wall-clock seconds of each run next to
the time of starting the interpreter and importing the package, the fixed cost every
command pays.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _timed(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=["full", "small"], default="full")
    args = parser.parse_args()

    demo = [sys.executable, "-m", "glass_metrics.cli", "-q", "demo", "--size", args.size]
    with tempfile.TemporaryDirectory() as folder:
        cwd = Path(folder)
        startup = _timed([sys.executable, "-c", "import glass_metrics.api"], cwd)
        first = _timed(demo, cwd)
        second = _timed(demo, cwd)

    print(f"interpreter + import      {startup:7.1f} s")
    print(
        f"demo, first run ({args.size})  {first:7.1f} s   target < 180 s: "
        f"{'met' if first < 180 else 'MISSED'}"
    )
    print(f"demo, second run          {second:7.1f} s   (reuses the simulation, retrains)")
    print(f"ratio first / 180 s       {first / 180:7.2f}")


if __name__ == "__main__":
    main()
