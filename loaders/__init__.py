"""Loaders: outside data in. Each turns one source format into model rows or columnar batches
and writes them to a store through the ``GraphStore`` protocol. They never analyse."""
