"""Offline jet generator: Pythia 8 events, anti-kT R=0.8 jets, hls4ml 150p-schema chunk files."""

from sweep.data.generator.run import ZERO_COLUMNS, generate_dataset

__all__ = ["ZERO_COLUMNS", "generate_dataset"]
