"""The boundary where untrusted text (memory rows, imported pools, model output) becomes terminal output
(:mod:`.terminal`): control characters are made visible, never acted on. Nothing is imported here.
"""
