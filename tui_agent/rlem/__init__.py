"""RLEM core: Q updates, retrieval similarity, exemplar/advice formatting, policies (pure, no I/O)."""
