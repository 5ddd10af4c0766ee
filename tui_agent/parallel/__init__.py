"""Parallel rollouts on Ray (:mod:`.rollouts`): workers run episodes on a frozen memory snapshot and the driver
applies the updates. Nothing is imported here, so Ray loads only when rollouts are used.
"""
