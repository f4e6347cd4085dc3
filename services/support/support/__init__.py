"""Support service: tickets with messages and escalation levels, partner listing requests."""
