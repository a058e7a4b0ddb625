"""The LLM gateway: the LiteLLM proxy with its database, cache, secrets and tenants' teams."""
