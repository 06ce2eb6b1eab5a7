"""Analyses: pure, deterministic functions of a view and explicit parameters, returning typed
results that carry their reasons. No I/O, no printing, no web."""
