from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from danvan_workflow.core.backoff import (
    JitterMode,
    RetryDecision,
    envelope,
    next_delay,
    retry_decision,
)

attempts = st.integers(min_value=1, max_value=5000)
jitters = st.floats(min_value=0.0, max_value=1.0)
modes = st.sampled_from(list(JitterMode))
caps = st.floats(min_value=0.0, max_value=1e6)


def test_envelope_values() -> None:
    assert [envelope(n) for n in range(1, 9)] == [30, 60, 120, 240, 480, 960, 1920, 3600]
    assert envelope(10_000) == 3600
    with pytest.raises(ValueError):
        envelope(0)


def test_jitter_modes() -> None:
    assert next_delay(3, jitter=0.5) == 60.0
    assert next_delay(3, jitter=0.0) == 0.0
    assert next_delay(3, jitter=0.0, mode=JitterMode.EQUAL) == 60.0
    assert next_delay(3, jitter=1.0, mode=JitterMode.EQUAL) == 120.0
    with pytest.raises(ValueError):
        next_delay(1, jitter=1.5)


@given(attempts, jitters, modes, caps)
def test_delay_within_zero_and_cap(
    attempt: int, jitter: float, mode: JitterMode, cap: float
) -> None:
    delay = next_delay(attempt, jitter=jitter, mode=mode, cap=cap)
    assert 0.0 <= delay <= cap
    assert delay <= envelope(attempt, cap=cap)


@given(attempts, jitters, modes, st.floats(min_value=1.0, max_value=10.0))
def test_monotone_envelope(attempt: int, jitter: float, mode: JitterMode, factor: float) -> None:
    assert envelope(attempt, factor=factor) <= envelope(attempt + 1, factor=factor)
    assert next_delay(attempt, jitter=jitter, mode=mode, factor=factor) <= next_delay(
        attempt + 1, jitter=jitter, mode=mode, factor=factor
    )


def test_retry_decision() -> None:
    assert retry_decision(1, 8, None, False, 1.0) == RetryDecision(False, 30.0)
    assert retry_decision(1, 8, None, True, 1.0) == RetryDecision(True, 0.0)
    assert retry_decision(8, 8, None, False, 1.0).dead
    assert retry_decision(7, 8, None, False, 1.0) == RetryDecision(False, 1920.0)
    assert retry_decision(1, 8, 7200.0, False, 0.5).delay_seconds == 7200.0  # beyond cap
    assert retry_decision(1, 8, -5.0, False, 0.0).delay_seconds == 0.0
    assert retry_decision(1, 8, math.inf, False, 0.0).dead
    with pytest.raises(ValueError):
        retry_decision(1, 0, None, False, 0.0)


@given(attempts, st.integers(min_value=1, max_value=20), st.none() | st.floats(0, 1e5), jitters)
def test_retry_never_before_retry_after(
    attempt: int, max_attempts: int, retry_after: float | None, jitter: float
) -> None:
    decision = retry_decision(attempt, max_attempts, retry_after, False, jitter)
    assert decision.dead == (attempt >= max_attempts)
    if not decision.dead and retry_after is not None:
        assert decision.delay_seconds >= retry_after
