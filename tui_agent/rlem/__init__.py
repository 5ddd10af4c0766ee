"""The RLEM core (REMEMBERER, Zhang et al. 2023), once for every domain; pure Python + NumPy, no I/O.

``records`` (keys, action tables, λ-scored retrieval, exemplar choice), ``learning`` (Q updates,
n-step targets), ``replay`` (:class:`~tui_agent.rlem.replay.HistoryReplay`, the only writer of learned Q)
and ``advice`` (encouraged / discouraged advice, reading a model's advice). See docs/rlem.md.
"""
