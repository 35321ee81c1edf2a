"""Training: `train` (`fit`, the train command) and `jobs` (the server's one training slot, on a thread)."""
