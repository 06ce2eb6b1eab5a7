"""Chain templates from JSON: the built-in ones shipped with ChainScout and users' own files.

A template file holds one chain::

    {"id": "nev", "name": "新能源汽车与动力电池", "name_en": "New-energy vehicles …",
     "segments": [{"id": "nev.lithium_ore", "name": "锂资源", "keywords": ["锂辉石", …]}, …],
     "feeds": [["nev.lithium_ore", "nev.lithium_salt"], …]}

A segment takes ``id``, ``name`` and optionally ``name_en``, ``level``, ``parent``,
``keywords``, ``industry_codes`` and ``description``; ``chain`` is filled in. A FEEDS edge is
``[upstream, downstream]`` or ``{"upstream": …, "downstream": …, "coefficient": …}``.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from chainscout.graph.errors import BadInputError, NotFoundError
from chainscout.graph.model import Chain

__all__ = ["builtin_chain", "builtin_chain_ids", "chain_from_dict", "read_chain"]


def builtin_chain_ids() -> list[str]:
    """Ids of the chain templates shipped with ChainScout."""
    folder = resources.files("chainscout.loaders.templates")
    return sorted(
        p.name.removesuffix(".json") for p in folder.iterdir() if p.name.endswith(".json")
    )


def builtin_chain(chain_id: str) -> Chain:
    """A built-in template by id (``nev`` …)."""
    if chain_id not in builtin_chain_ids():
        raise NotFoundError(
            "chain", chain_id, hint=f"Built-in templates: {', '.join(builtin_chain_ids())}."
        )
    text = (
        resources.files("chainscout.loaders.templates")
        .joinpath(f"{chain_id}.json")
        .read_text(encoding="utf-8")
    )
    return chain_from_dict(json.loads(text), source=f"built-in template {chain_id}")


def read_chain(path: str | Path) -> Chain:
    """A template from a JSON file; errors name the file and what is wrong."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise BadInputError(f"{p}: no such file") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise BadInputError(f"{p}: not a JSON chain template ({err})") from None
    return chain_from_dict(data, source=str(p))


def chain_from_dict(data: Any, *, source: str) -> Chain:
    """Build and validate a chain from template data."""
    if not isinstance(data, dict):
        raise BadInputError(f"{source}: a chain template is a JSON object with id, name, segments")
    chain_id = data.get("id")
    segments = [
        {**s, "chain": chain_id} if isinstance(s, dict) else s for s in data.get("segments", [])
    ]
    feeds = [
        {"upstream": f[0], "downstream": f[1]} if isinstance(f, list | tuple) and len(f) == 2 else f
        for f in data.get("feeds", [])
    ]
    try:
        return Chain.model_validate({**data, "segments": segments, "feeds": feeds})
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise BadInputError(f"{source}: {where + ': ' if where else ''}{first['msg']}") from None
