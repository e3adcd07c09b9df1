"""Bit-accurate numpy emulation of converted hls4ml models (no g++).

:func:`build_plan` walks an hls4ml ``ModelGraph`` (Vivado/Vitis backend, ``io_parallel``) and raises
:class:`UnsupportedGraph` with a reason for anything it does not reproduce; :func:`emulate` evaluates
the plan on all samples at once with integer numpy arithmetic that follows the ``nnet_utils`` C++
templates and the ``ap_fixed`` library. See ``docs/emulator.md``.
"""

from hls_workers.numpy_emulator.graph import EmulationPlan, UnsupportedGraph, build_plan, emulate

__all__ = ["EmulationPlan", "UnsupportedGraph", "build_plan", "emulate"]
