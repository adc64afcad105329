from datetime import UTC, datetime, timedelta

from deliberate.throttle.policy import Rule, after_failure, remaining, retry_after

RULE = Rule(
    "t",
    limit=3,
    window=timedelta(minutes=15),
    first_delay=timedelta(minutes=1),
    max_delay=timedelta(minutes=10),
)
NOW = datetime(2026, 11, 28, tzinfo=UTC)


def test_no_delay_below_the_limit_then_doubling_up_to_the_cap() -> None:
    state = None
    for _ in range(2):
        state = after_failure(state, RULE, NOW)
        assert retry_after(state, NOW) is None
    state = after_failure(state, RULE, NOW)
    assert retry_after(state, NOW) == 60
    assert remaining(state, RULE, NOW) == 0
    delays = []
    for _ in range(6):
        state = after_failure(state, RULE, NOW)
        delays.append(retry_after(state, NOW))
    assert delays == [120, 240, 480, 600, 600, 600]


def test_the_window_resets_the_count() -> None:
    state = None
    for _ in range(3):
        state = after_failure(state, RULE, NOW)
    later = NOW + timedelta(minutes=16)
    assert retry_after(state, later) is None
    assert remaining(state, RULE, later) == 3
    state = after_failure(state, RULE, later)
    assert state.failures == 1
