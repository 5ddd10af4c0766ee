"""Classic deep RL baselines for tui-agent's environments (issue 13): PPO on Ray RLlib.

Modules: ``features`` (:class:`~tui_agent.rl.features.DocQAFeatureEnv`, the fixed numeric encoding of
DocumentQA-v0 that a neural policy can take: a float ``Box`` observation and ``Discrete`` actions),
``answerers`` (who writes the answer text: the extractive answerer, or an LLM as in the blog) and
``ppo`` (training, greedy evaluation and checkpoints with RLlib's ``PPOConfig``).

Nothing here imports Ray or torch at import time: ``ppo`` imports them inside its functions, so the
CLI and the fast tests stay free of both (Ray comes with the optional ``rl`` extra).
"""
