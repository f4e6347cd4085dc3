"""Shared infrastructure for the platform's services.

This package is infrastructure only: it never imports a service.
"""
