"""Thin HTTP routes of the subsidies service."""
