"""REMEMBERER's WikiHow setting as a text simulation: a WikiHow-like app over a generated corpus.

Modules: ``screen`` (the pools' element format), ``vocab`` / ``generate`` / ``corpus`` (the seeded
corpus shipped as ``data/wikihow_corpus.json.gz``, and the app's search), ``pages`` (each kind of
page as elements), ``app`` (the app: navigation, scrolling, the four actions), ``tasks`` (Mobile-Env's
multi-step tasks, splits), ``env`` (``WikiHowEnv``, gymnasium ``tui_agent/WikiHow-v0``), ``oracle``
(a scripted solver: the upper bound and the tests' walker).

Import the modules themselves (``from tui_agent.envs.wikihow.screen import parse_screen``): this package
imports nothing of its own (gymnasium comes with ``tui_agent.envs``, which registers the environments).
"""
