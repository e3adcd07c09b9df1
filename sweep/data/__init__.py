"""Jet data: public hls4ml LHC jet files, the offline Pythia generator, preparation and caching."""
