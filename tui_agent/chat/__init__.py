"""Chat domain: one-step RLEM episodes (question → answer), its policies and prompt."""
