"""Thin HTTP routes of the orders service."""
