"""Inactive accounts (storage limitation, GDPR Art. 5(1)(e)): warned, then erased.

A job of identity's worker, every ``INACTIVITY_CHECK_SECONDS``:
1. an active account whose last activity (last login, else creation) is older than
   ``INACTIVITY_WARN_DAYS`` and that was not warned yet gets a mail (French, then English):
   the account will be deleted on a date ``INACTIVITY_GRACE_DAYS`` away unless the person logs
   in; ``inactivity_warned_at`` is set (a login clears it);
2. a warned account still without login once that date has come is closed (no more login,
   every session ended) and ``account.inactive`` is published to the privacy service, which
   opens an erasure request for the person, marked as opened for inactivity, and runs it like
   any other (every service erases, identity last). Closing the account in the same
   transaction is what keeps the job from asking twice; the privacy service also opens at most
   one such request per person.

Staff accounts are warned and erased like everyone's, except that a tenant's last active
tenant admin and platform admins are only warned: erasing them could leave a company, or the
platform, with nobody to manage it; the operator decides. A person whose data is restricted
(Art. 18) is neither warned nor erased: the restriction keeps the data as it is.

The worker runs it as a job (``identity.jobs``); operators (and the end-to-end tests) run it
once with ``python -m identity.inactivity run-once`` (``__main__.py``).
"""
