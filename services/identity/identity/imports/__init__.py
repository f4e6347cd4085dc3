"""Employee import by a tenant admin (ID4): the company's list of employees as a CSV.

The file is read whole, every line checked, then applied in one transaction:
- matched by email (case-insensitive) with the tenant's accounts: an existing account gets the
  file's names (and is reactivated if it was deactivated), a new one is created with no
  password and invited by email (a single-use link, ``LinkPurpose.INVITE``);
- ``all_or_nothing`` (default): any line error and nothing changes (422 with the report);
  ``per_line``: good lines are applied, bad ones reported (200);
- ``deactivate_missing``: active employees whose address is on no line of the file are
  deactivated and logged out everywhere (never staff, never the caller);
- ``dry_run``: the same report, nothing written.

Built for 10,000 lines in well under 30 s: the tenant's accounts are loaded once, new ones
added in one flush, and their events, data-map marks, invitation links and mails written in a
few multi-row statements (no password is hashed: the person chooses it from the invitation).

Only the employee role is imported: staff accounts are managed one by one. An account whose
data is restricted (Art. 18) is left as it is, silently (telling which line it is would reveal
who asked for the restriction). Errors name a line, never an address or a name.
"""
