"""DocumentQA with RLEM: the agent, its q-driven policy, prompts and what the RLEM core needs (issue 13)."""
