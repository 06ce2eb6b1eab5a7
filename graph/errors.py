"""The one exception tree of ChainScout.

Every error a user can meet is a :class:`ChainScoutError`, and its message says what is wrong
and what to do about it. The CLI prints the message and exits non-zero; the API maps each class
to one HTTP status and one problem+json body.

::

    ChainScoutError
    ├── BadInputError          input that cannot be accepted (a file, a row, a field, a parameter)
    │   └── ValidationFailed   several bad rows or fields at once, each with where and why
    ├── NotFoundError          an enterprise, segment, chain or region that the store does not hold
    ├── ConflictError          a write that contradicts what is stored (e.g. a cyclic chain)
    └── StoreUnavailableError  the store cannot be opened, is locked, or does not answer

Example:
    >>> try:
    ...     raise NotFoundError("enterprise", "91110000000000000X")
    ... except ChainScoutError as err:
    ...     print(err)
    No enterprise with id '91110000000000000X' in the store. Check the id, or search by name.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError

__all__ = [
    "BadInputError",
    "ChainScoutError",
    "ConflictError",
    "NotFoundError",
    "Problem",
    "StoreUnavailableError",
    "ValidationFailed",
    "first_problem",
    "problem_text",
]


class ChainScoutError(Exception):
    """Root of every error ChainScout raises on purpose."""

    #: Short, stable title of the error class (the problem+json ``title``).
    title = "ChainScout error"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: where it is and why it is wrong.

    ``row`` counts data rows from 1 as a spreadsheet user sees them (the header is row 1 in a
    file with a header, so the first data row is row 2).
    """

    reason: str
    file: str | None = None
    row: int | None = None
    field: str | None = None
    value: str | None = None

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field:
            where.append(f"field '{self.field}'")
        prefix = ", ".join(where)
        return f"{prefix}: {self.reason}" if prefix else self.reason


class BadInputError(ChainScoutError):
    """Input that cannot be accepted. ``problem`` says where, when it is known."""

    title = "Bad input"

    def __init__(self, message: str, *, problem: Problem | None = None) -> None:
        super().__init__(message)
        self.problem = problem

    @classmethod
    def at(
        cls,
        reason: str,
        *,
        file: str | None = None,
        row: int | None = None,
        field: str | None = None,
        value: str | None = None,
    ) -> BadInputError:
        """Build an error for one place in the input, its message naming that place."""
        problem = Problem(reason=reason, file=file, row=row, field=field, value=value)
        return cls(str(problem), problem=problem)


class ValidationFailed(BadInputError):
    """Several problems found at once; ``problems`` lists all of them, the message the first few."""

    title = "Validation failed"

    def __init__(self, problems: list[Problem], *, what: str = "input") -> None:
        shown = "\n".join(f"  - {p}" for p in problems[:10])
        more = f"\n  ... and {len(problems) - 10} more" if len(problems) > 10 else ""
        super().__init__(
            f"{len(problems)} problem(s) in {what}; nothing was written:\n{shown}{more}",
            problem=problems[0] if problems else None,
        )
        self.problems = problems


class NotFoundError(ChainScoutError):
    """Something the user named is not in the store."""

    title = "Not found"

    def __init__(
        self, kind: str, key: str, hint: str | None = None, where: str = "the store"
    ) -> None:
        self.kind = kind
        self.key = key
        default_hint = {
            "enterprise": "Check the id, or search by name.",
            "chain": "Run `chainscout chains` to list the chains in this store.",
            "segment": "Run `chainscout chains` to list the chains and their segments.",
            "region": "Use a 6-digit division code (e.g. 440300) or an ISO country code (e.g. DE).",
            "project": "Run `chainscout projects list` to see the stored projects.",
        }.get(kind, "")
        text = f"No {kind} with id {key!r} in {where}."
        tail = hint if hint is not None else default_hint
        super().__init__(f"{text} {tail}".strip())


class ConflictError(ChainScoutError):
    """A write that contradicts what is stored or what the model allows."""

    title = "Conflict"


class StoreUnavailableError(ChainScoutError):
    """The store cannot be opened or does not answer."""

    title = "Store unavailable"


def first_problem(err: ValidationError) -> tuple[str, str]:
    """Where (the dotted field path, "" for the whole model) and what of the first problem a
    pydantic model found, without pydantic's "Value error, " prefix: what a user is shown.

    >>> from pydantic import BaseModel, Field
    >>> class Share(BaseModel):
    ...     share: float = Field(ge=0)
    >>> try:
    ...     Share(share=-1)
    ... except ValidationError as err:
    ...     print(first_problem(err))
    ('share', 'Input should be greater than or equal to 0')
    """
    e = err.errors()[0]
    where = ".".join(str(x) for x in e["loc"])
    return where, str(e["msg"]).removeprefix("Value error, ")


def problem_text(err: ValidationError) -> str:
    """The first problem as one line: ``field: what``, or ``what`` for the whole model."""
    where, what = first_problem(err)
    return f"{where}: {what}" if where else what
