"""Payments: intents at the provider, its signed webhooks, and what a paid order sets off."""
