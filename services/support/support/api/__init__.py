"""Thin HTTP routes of the support service."""
