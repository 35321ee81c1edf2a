"""The test suite (a package, so that `tests.…` names this folder even where an installed distribution ships its own
top-level `tests`, as Hershey-Fonts does)."""
