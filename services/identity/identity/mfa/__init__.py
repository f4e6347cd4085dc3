"""Two-factor login: TOTP (RFC 6238) with recovery codes."""
