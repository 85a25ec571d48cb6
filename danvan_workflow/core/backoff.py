"""Retry schedule for message delivery: exponential backoff with injected jitter.

Envelope for the n-th failed attempt (``attempt`` starts at 1)::

    envelope(n) = min(cap, base * factor ** (n - 1))

``jitter`` is a random number in [0, 1] supplied by the caller (``random.random()``
in production, fixed in tests) so the functions stay pure:

* full jitter (default): ``delay = envelope * jitter`` — spreads retries over
  ``[0, envelope]``, best against thundering herds (AWS architecture blog, "Exponential
  Backoff And Jitter").
* equal jitter: ``delay = envelope / 2 + envelope / 2 * jitter`` — in
  ``[envelope / 2, envelope]``, guarantees some wait.

Either way ``0 <= delay <= cap`` and, for a fixed jitter, the delay never decreases
as ``attempt`` grows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum


class JitterMode(StrEnum):
    FULL = "full"
    EQUAL = "equal"


def envelope(
    attempt: int, *, base: float = 30.0, factor: float = 2.0, cap: float = 3600.0
) -> float:
    """Upper bound of the delay after `attempt` failures (no jitter)."""
    if attempt < 1:
        raise ValueError(f"attempt starts at 1, got {attempt}")
    if base < 0 or cap < 0 or factor < 1 or not all(map(math.isfinite, (base, factor, cap))):
        raise ValueError("need base >= 0, factor >= 1, cap >= 0, all finite")
    try:
        raw = base * factor ** (attempt - 1)
    except OverflowError:
        return cap
    return min(cap, raw)


def next_delay(
    attempt: int,
    *,
    base: float = 30.0,
    factor: float = 2.0,
    cap: float = 3600.0,
    jitter: float,
    mode: JitterMode = JitterMode.FULL,
) -> float:
    """Seconds to wait before the next attempt, after `attempt` failures."""
    if not 0.0 <= jitter <= 1.0:
        raise ValueError(f"jitter must be within [0, 1], got {jitter}")
    top = envelope(attempt, base=base, factor=factor, cap=cap)
    if mode is JitterMode.FULL:
        return top * jitter
    half = top / 2
    return min(top, half + half * jitter)


@dataclass(frozen=True)
class RetryDecision:
    dead: bool  # give up: move to the dead-letter state
    delay_seconds: float  # 0 when dead


def retry_decision(
    attempt: int,
    max_attempts: int,
    retry_after: float | None,
    permanent: bool,
    jitter: float,
    *,
    base: float = 30.0,
    factor: float = 2.0,
    cap: float = 3600.0,
    mode: JitterMode = JitterMode.FULL,
) -> RetryDecision:
    """Decide after `attempt` failed attempts (1-based).

    Dead when the failure is permanent (bad address, rejected template...) or
    ``attempt >= max_attempts``. Otherwise wait the backoff delay, but never less
    than the server's ``retry_after`` (which may exceed ``cap``: the server knows
    best). A negative ``retry_after`` (a Retry-After date already past) counts as 0;
    an infinite one means "do not retry" (dead).
    """
    if max_attempts < 1:
        raise ValueError(f"max_attempts must be >= 1, got {max_attempts}")
    if retry_after is not None and math.isnan(retry_after):
        raise ValueError("retry_after is NaN")
    never = retry_after is not None and retry_after == math.inf
    if permanent or attempt >= max_attempts or never:
        return RetryDecision(dead=True, delay_seconds=0.0)
    delay = next_delay(attempt, base=base, factor=factor, cap=cap, jitter=jitter, mode=mode)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return RetryDecision(dead=False, delay_seconds=delay)
