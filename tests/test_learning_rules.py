"""n-step Q-learning targets (tui_agent.rlem.learning) against hand-computed values."""


import pytest

from tui_agent.rlem.learning import (
    LearningConfig,
    change_towards,
    pooled_value,
    update_value,
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


def test_mean_update_is_running_average():
    q, n = 0.0, 0
    targets = [1.0, 0.0, 0.5, 1.0]
    for g in targets:
        q, n = update_value(q, n, g), n + 1
    assert abs(q - sum(targets) / len(targets)) < 1e-12 and n == 4
    assert update_value(0.3, 0, -1.0) == -1.0  # first update overwrites
    with pytest.raises(ValueError):
        update_value(0.0, -1, 1.0)
    with pytest.raises(ValueError):
        update_value(0.0, 0, 1.0, mode="median")


def test_constant_step_update():
    q = update_value(0.0, 0, 1.0, mode="const", learning_rate=0.1)
    assert abs(q - 0.1) < 1e-12
    assert abs(update_value(q, 1, 1.0, mode="const", learning_rate=0.1) - 0.19) < 1e-12
    with pytest.raises(ValueError):
        LearningConfig(learning_rate=0.0)


def test_change_towards_and_pooling():
    change = change_towards(1.0, reward=0.5)
    assert change(0.0, 1, 0.0) == (0.5, 2, 0.25)
    assert pooled_value(1.0, 3, 0.0, 1) == 0.75 and pooled_value(0.2, 0, 0.4, 0) == 0.4
