"""Dependencies of the routes: the state, the caller's role, and the defaults."""

from __future__ import annotations

import hmac
from typing import Annotated, Literal

from fastapi import Depends, Header, Request
from pydantic import ValidationError

from chainscout.analysis.targets import EntryThresholds, TargetParams, TargetWeights
from chainscout.graph.errors import BadInputError, problem_text
from chainscout.graph.regions import check_region_code

from .errors import AuthError
from .state import AppState, hash_key

__all__ = [
    "ROLES", "Role", "allows", "get_state", "require", "resolve_region", "target_params",
]  # fmt: skip

Role = Literal["viewer", "editor", "admin"]
ROLES: dict[str, int] = {"viewer": 1, "editor": 2, "admin": 3}


async def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.chainscout
    return state


def _role_of(state: AppState, key: str | None) -> str | None:
    if not key:
        return None
    digest = hash_key(key)
    for known, role in state.settings.api_keys.items():
        if hmac.compare_digest(known.lower(), digest):
            return role
    raise AuthError("The API key is not valid.", status=401)


def allows(state: AppState, key: str | None, role: str) -> bool:
    """Whether a request with ``key`` (or none) may do what needs ``role``; never raises.

    The same rule as :func:`require`, for callers that only need the answer (the page cache)."""
    try:
        held = _role_of(state, key)
    except AuthError:
        return False
    if held is None:
        return role == "viewer" and state.settings.api_open_read
    return ROLES[held] >= ROLES[role]


def require(role: Role):  # type: ignore[no-untyped-def]
    """A dependency that lets the request through only with at least ``role``.

    Reading may be open without a key when the operator set ``api_open_read``; writing never is.
    """

    async def check(
        state: Annotated[AppState, Depends(get_state)],
        x_api_key: Annotated[str | None, Header(description="API key")] = None,
    ) -> str:
        held = _role_of(state, x_api_key)
        if held is None:
            if role == "viewer" and state.settings.api_open_read:
                return "anonymous"
            raise AuthError("This request needs an API key in the X-API-Key header.", status=401)
        if ROLES[held] < ROLES[role]:
            raise AuthError(f"A {held} key may not do this; it needs the {role} role.", status=403)
        return held

    return check


def target_params(
    weights: str | None,
    thresholds: str | None,
    target_regions: str | None,
    segment: str | None,
    predict_links: int = 0,
) -> TargetParams:
    """Ranking parameters from a request's query text; a bad value is a 400 naming it."""
    try:
        return TargetParams(
            weights=TargetWeights.parse(weights),
            thresholds=EntryThresholds.parse(thresholds),
            target_regions=tuple(p.strip() for p in (target_regions or "").split(",") if p.strip()),
            segment=segment,
            predict_links=predict_links,
        )
    except ValidationError as err:
        raise BadInputError(problem_text(err)) from None
    except ValueError as err:
        raise BadInputError(f"weights or thresholds: {err}") from None


def resolve_region(state: AppState, region: str | None) -> str:
    value = region or state.settings.home_region or state.store.get_meta("home_region")
    if not value:
        raise BadInputError.at("give a home region (e.g. 440300)", field="region")
    try:
        return check_region_code(value)
    except ValueError as err:
        raise BadInputError.at(str(err), field="region", value=value) from None
