"""Amazon Bedrock's control plane: approved models, guardrail, invocation logging, grants."""
