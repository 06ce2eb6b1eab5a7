"""The REST API: ``create_app(settings)`` serves chain gaps, leaders, targets, enterprises, paths,
what-if and imports under ``/api/v1``, with API-key roles and problem+json errors."""

from .app import create_app

__all__ = ["create_app"]
