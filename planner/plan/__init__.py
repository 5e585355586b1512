"""The plan as a whole: settings, the offline pipeline, scoping, suppressions, pseudonyms and comparison with an earlier plan."""
