"""What an inventory is: the loader (files to raw rows), the typed model (rows to entities) and scopes. Imports only planner.core."""
