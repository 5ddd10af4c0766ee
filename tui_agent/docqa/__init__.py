"""DocumentQA with RLEM: the agent, its episodic-control policy, prompts and what the RLEM core needs (issue 13)."""
