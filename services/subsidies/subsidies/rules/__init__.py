"""Subsidy rules: conditions, an amount or a percentage, a yearly cap per person."""
