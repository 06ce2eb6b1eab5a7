"""ChainScout: an industry-chain graph explorer for regional investment promotion (产业链招商).

It holds a graph of enterprises, supply links and chain segments, finds where a home region's
chain is missing or weak, and ranks the outside firms worth attracting, with every score
explained and the local firm that can make the introduction.

Layers (each importable on its own): ``chainscout.graph`` (model and stores),
``chainscout.loaders``, ``chainscout.analysis``, ``chainscout.api``, ``chainscout.viz`` and the
``chainscout`` command (``chainscout.cli``).
"""

from chainscout.graph.errors import ChainScoutError

__version__ = "0.1.0"
__all__ = ["ChainScoutError", "__version__"]
