"""n-step Q-learning targets (tui_agent.rlem.nstep) against hand-computed values."""

import math

import pytest

from tui_agent.rlem.nstep import (
    constant_step_update,
    incremental_mean_update,
    nstep_target,
    nstep_targets,
)

# Episode of T = 4 steps: rewards r_1..r_4, and max_a Q(o_k, a) for k = 0..4.
REWARDS = [0.0, 0.5, 0.0, 1.0]
MAXQ = [9.0, 0.2, 0.4, 0.6, 99.0]  # index 0 and 4 must never be read


def test_one_step_targets():
    # G_t = r_{t+1} + maxQ(o_{t+1}), no bootstrap for the last step
    assert nstep_targets(REWARDS, MAXQ, gamma=1.0, n=1) == pytest.approx(
        [0.0 + 0.2, 0.5 + 0.4, 0.0 + 0.6, 1.0])


def test_three_step_targets():
    # t=0: r1+r2+r3 + maxQ(o_3) = 0 + .5 + 0 + .6 ; t>=1: t+3 >= 4 -> rest of episode
    assert nstep_targets(REWARDS, MAXQ, gamma=1.0, n=3) == pytest.approx(
        [1.1, 1.5, 1.0, 1.0])


def test_full_episode_returns():
    assert nstep_targets(REWARDS, None, n=None) == pytest.approx([1.5, 1.5, 1.0, 1.0])
    # horizon >= episode length is the same as the Monte-Carlo return
    assert nstep_targets(REWARDS, MAXQ, n=10) == pytest.approx([1.5, 1.5, 1.0, 1.0])


def test_discounted_targets():
    g = 0.9
    one = nstep_targets(REWARDS, MAXQ, gamma=g, n=1)
    assert one == pytest.approx([0.0 + g * 0.2, 0.5 + g * 0.4, 0.0 + g * 0.6, 1.0])
    two = nstep_targets(REWARDS, MAXQ, gamma=g, n=2)
    assert two == pytest.approx([
        0.0 + g * 0.5 + g**2 * 0.4,
        0.5 + g * 0.0 + g**2 * 0.6,
        0.0 + g * 1.0,
        1.0,
    ])
    mc = nstep_targets(REWARDS, gamma=g)
    assert mc == pytest.approx([g * 0.5 + g**3 * 1.0, 0.5 + g**2 * 1.0, g * 1.0, 1.0])


def test_bootstrap_callable_and_none_values():
    seen = []

    def maxq(k):
        seen.append(k)
        return None if k == 2 else 1.0

    assert nstep_targets([0.0, 0.0, 0.0], maxq, n=1) == pytest.approx([1.0, 0.0, 0.0])
    assert seen == [1, 2]


def test_single_target_and_errors():
    assert nstep_target(REWARDS, 1, MAXQ, n=1) == pytest.approx(0.9)
    assert nstep_targets([], None) == []
    with pytest.raises(IndexError):
        nstep_target(REWARDS, 4)
    with pytest.raises(ValueError):
        nstep_targets(REWARDS, MAXQ, n=0)
    with pytest.raises(ValueError):
        nstep_targets(REWARDS, MAXQ, gamma=1.5)
    with pytest.raises(ValueError):
        nstep_targets(REWARDS, None, n=1)  # bootstrap needed but missing


def test_incremental_mean_is_running_average():
    q, n = 0.0, 0
    targets = [1.0, 0.0, 0.5, 1.0]
    for k, g in enumerate(targets, start=1):
        q, n = incremental_mean_update(q, n, g)
        assert n == k
        assert q == pytest.approx(sum(targets[:k]) / k)
    assert incremental_mean_update(0.3, 0, -1.0) == (-1.0, 1)  # first update overwrites
    with pytest.raises(ValueError):
        incremental_mean_update(0.0, -1, 1.0)


def test_constant_step_update():
    q, n = constant_step_update(0.0, 0, 1.0, learning_rate=0.1)
    assert (q, n) == (pytest.approx(0.1), 1)
    q, n = constant_step_update(q, n, 1.0, learning_rate=0.1)
    assert math.isclose(q, 0.19) and n == 2
    with pytest.raises(ValueError):
        constant_step_update(0.0, 0, 1.0, learning_rate=0.0)
