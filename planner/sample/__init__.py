"""Synthetic tenants for demos, tests and benchmarks. Stdlib only; imports nothing of the planner's stages."""
