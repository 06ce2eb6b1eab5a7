"""The vis-network script and stylesheet, read from the installed ``pyvis`` package at run time.

ChainScout commits no third-party JavaScript or CSS. pyvis ships vis-network inside its package
(``pyvis/templates/lib/vis-<version>/``); this module finds those files where pyvis is installed,
so exported pages can carry them inline and the API can serve them from its own origin. pyvis's
own templates are not used for that: even in "inline" mode they link Bootstrap from a CDN, which
a network without internet cannot reach.

Example:
    >>> js = vis_asset("vis-network.min.js")
    >>> "vis-network" in js.text[:200] and js.media_type == "text/javascript"
    True
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

from chainscout.graph.errors import ChainScoutError

__all__ = ["VIS_ASSETS", "VIS_VERSION", "Asset", "AssetName", "vis_asset"]

#: The vis-network release pyvis 0.3.2 bundles (the one its templates use).
VIS_VERSION = "9.1.2"
AssetName = Literal["vis-network.min.js", "vis-network.css"]
VIS_ASSETS: tuple[AssetName, ...] = ("vis-network.min.js", "vis-network.css")
_MEDIA = {"vis-network.min.js": "text/javascript", "vis-network.css": "text/css"}
# where pyvis keeps its copies, tried in order (the second is an older layout of the package)
_FOLDERS = (f"templates/lib/vis-{VIS_VERSION}", f"lib/vis-{VIS_VERSION}")


@dataclass(frozen=True)
class Asset:
    """One asset: its text, media type and a short content hash (for cache-safe URLs)."""

    name: str
    text: str
    media_type: str
    digest: str


@cache
def vis_asset(name: AssetName) -> Asset:
    """The vis-network file ``name`` from the installed pyvis package.

    Raises :class:`~chainscout.ChainScoutError` naming what is missing when pyvis is absent or
    ships another layout, rather than writing a page that would draw nothing.
    """
    if name not in _MEDIA:
        raise ChainScoutError(f"no such asset {name!r}; assets: {', '.join(VIS_ASSETS)}")
    try:
        root = resources.files("pyvis")
    except ModuleNotFoundError:
        raise ChainScoutError(
            "the maps need the pyvis package: pip install 'pyvis>=0.3.2'"
        ) from None
    for folder in _FOLDERS:
        path = root.joinpath(*folder.split("/"), name)
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            # Inline in a <script>/<style> element, the text must not close that element.
            closer = "script" if name.endswith(".js") else "style"
            text = re.sub(f"</({closer})", r"<\/\1", text, flags=re.IGNORECASE)
            digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
            return Asset(name=name, text=text, media_type=_MEDIA[name], digest=digest)
    raise ChainScoutError(
        f"the installed pyvis has no vis-network {VIS_VERSION} file {name}"
        f" (looked in {', '.join(_FOLDERS)}); install pyvis 0.3.2"
    )
