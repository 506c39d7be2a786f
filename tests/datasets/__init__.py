"""Generated and loaded data sets for tests and benchmarks (no database, no network)."""
