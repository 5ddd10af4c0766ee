"""Agents: glue between the UI/CLI and memory, LLM, embeddings and RLEM."""
