"""Settings: from ``CHAINSCOUT_*`` environment variables, then a config file, then defaults.

The config file is TOML, at ``$CHAINSCOUT_CONFIG`` or ``~/.config/chainscout/config.toml``
(``$XDG_CONFIG_HOME`` is honoured). ``chainscout demo`` writes ``store``, ``home_region`` and
``chain`` there so later commands need no flags. Example::

    store = "/home/me/.local/share/chainscout/demo.duckdb"
    home_region = "349900"
    chain = "nev"
    lang = "zh"
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import tomli_w
from pydantic import Field, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from chainscout.graph.regions import check_region_code

__all__ = ["Settings", "cache_dir", "config_path", "data_dir", "load_settings", "save_defaults"]


def config_path() -> Path:
    """Where the config file is read from and written to."""
    explicit = os.environ.get("CHAINSCOUT_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or "~/.config"
    return Path(base).expanduser() / "chainscout" / "config.toml"


def data_dir() -> Path:
    """Where stores live by default (``$CHAINSCOUT_DATA_DIR`` or the XDG data folder)."""
    explicit = os.environ.get("CHAINSCOUT_DATA_DIR")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or "~/.local/share"
    return Path(base).expanduser() / "chainscout"


def cache_dir() -> Path:
    """Where kept views live (``$CHAINSCOUT_CACHE_DIR`` or the XDG cache folder): files that can
    be deleted at any time and are made again when needed."""
    explicit = os.environ.get("CHAINSCOUT_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or "~/.cache"
    return Path(base).expanduser() / "chainscout"


class Settings(BaseSettings):
    """What ChainScout needs to know before a command runs."""

    model_config = SettingsConfigDict(env_prefix="CHAINSCOUT_", extra="ignore")

    store: str = Field(
        default_factory=lambda: str(data_dir() / "chainscout.duckdb"),
        description="the store: a file path (embedded store)",
    )
    home_region: str | None = Field(
        default=None, description="default home region: a 6-digit division code or ISO code"
    )
    chain: str | None = Field(default=None, description="default chain id")
    lang: Literal["en", "zh"] = Field(default="en", description="language of labels")
    view_cache: str = Field(
        default_factory=lambda: str(cache_dir() / "views"),
        description="folder where commands that only read keep the chain views they make, so"
        ' the next command on an unchanged store skips the extraction ("off": keep none)',
    )
    view_cache_keep: int = Field(default=4, ge=1, description="most views kept there")

    # the API (``chainscout serve``)
    api_keys: dict[str, Literal["viewer", "editor", "admin"]] = Field(
        default_factory=dict,
        description="SHA-256 hex digest of each API key -> its role; keys are never stored",
    )
    api_open_read: bool = Field(
        default=False, description="let requests without a key read (never write)"
    )
    api_max_page: int = Field(default=200, ge=1, description="most rows in one page")
    api_max_hops: int = Field(default=3, ge=1, le=6, description="most hops of a neighbourhood")
    api_max_nodes: int = Field(default=2000, ge=10, description="most firms in a subgraph")
    api_max_body_bytes: int = Field(default=50_000_000, ge=1024, description="largest upload")
    api_timeout_seconds: float = Field(default=30.0, gt=0, description="store call time limit")

    @field_validator("home_region")
    @classmethod
    def _region(cls, value: str | None) -> str | None:
        return None if value in (None, "") else check_region_code(value)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=config_path()),
        )


def load_settings(**overrides: Any) -> Settings:
    """Settings with explicit overrides (``None`` values are ignored)."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


def save_defaults(**values: str) -> Path:
    """Merge ``values`` into the config file (creating it) and return its path."""
    path = config_path()
    current: dict[str, Any] = {}
    if path.exists():
        import tomllib

        with path.open("rb") as fh:
            current = tomllib.load(fh)
    current.update(values)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(tomli_w.dumps(current), encoding="utf-8")
    tmp.replace(path)
    return path
