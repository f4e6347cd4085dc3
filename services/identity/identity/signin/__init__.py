"""Sign-in: the password step, the second step, re-authentication before a sensitive action,
and the failure counters (per account, per device token) that slow guessers down."""
