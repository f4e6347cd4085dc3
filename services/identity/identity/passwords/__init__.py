"""Passwords: hashing (argon2id) and the policy, a change by the person, and the single-use
links sent by email that set one (a reset, an invitation)."""
