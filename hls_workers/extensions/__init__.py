"""Layers hls4ml does not know, registered through its Extension API (see :mod:`.sum_pooling`)."""
