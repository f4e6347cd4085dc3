"""The beneficiary profile (a number of children) and the rules it meets."""
