"""The runbook: strategies, waves and the steps of every app and gateway. Reads the plan's facts; writes no files."""
