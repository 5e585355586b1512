"""Per-app analysis: OS and tier classification, the rule catalogue (planner.analysis.rules) and what each verdict means. Pure: reads the model, never Azure."""
