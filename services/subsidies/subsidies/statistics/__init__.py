"""Anonymous statistics of the subsidies used (k-anonymity)."""
