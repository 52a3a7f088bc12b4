"""Run ``-m MODULE ARGS`` or ``-c CODE ARGS`` like ``python`` does, then write this process's
peak RSS in kB (``VmHWM`` from /proc/self/status) to the file named by ``EF_PEAK_FILE``.

``ru_maxrss`` of a child cannot be used: on Linux it carries the parent's peak across fork, so
every child would report at least the benchmark driver's own size.
"""

import atexit
import os
import runpy
import sys


def _write_peak() -> None:
    target = os.environ.get("EF_PEAK_FILE")
    if not target:
        return
    with open("/proc/self/status", encoding="ascii") as fh:
        peak = next((line.split()[1] for line in fh if line.startswith("VmHWM:")), "0")
    with open(target, "w", encoding="ascii") as fh:
        fh.write(peak)


atexit.register(_write_peak)
mode, target, *rest = sys.argv[1:]
if mode == "-m":
    sys.argv = [target, *rest]
    runpy.run_module(target, run_name="__main__", alter_sys=True)
else:
    sys.argv = ["-c", *rest]
    exec(compile(target, "<string>", "exec"), {"__name__": "__main__"})
