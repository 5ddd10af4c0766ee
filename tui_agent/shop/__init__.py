"""Shop domain: web-task episodes on the shop environment, its policies, prompt and protocol."""
