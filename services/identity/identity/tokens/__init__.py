"""Internal tokens: the Ed25519 keys that sign them, the gateway's (one per service), and
their exchange between services (RFC 8693)."""
