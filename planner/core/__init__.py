"""Helpers every stage may use: input errors, the garbage-collector pause, secret redaction, resource ids and shell quoting. Imports nothing else of planner."""
