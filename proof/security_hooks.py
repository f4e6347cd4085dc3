"""Schemathesis hooks of the security suite (``SCHEMATHESIS_HOOKS=proof.security_hooks``).

The fuzzer runs with real sessions of the demo accounts; this hook keeps it from ending its
own run, and changes nothing else about what it sends:
- a request to erase the caller becomes an access request (an erasure deletes the account,
  and every later call of the run would be a 401);
- the employee import is always a dry run (a valid file with ``deactivate_missing`` would
  deactivate the demo employees the next runs log in with);
- the accounts that were there before the run (``SECURITY_KEEP_USERS``: the demo accounts the
  runs are signed in with) are never deleted: Schemathesis reuses the ids it reads in
  responses, and would delete the tenant admin it runs as. It may delete the ones it made.
"""

import os
import uuid
from typing import Any

import schemathesis
from schemathesis import Case, HookContext

ERASURE_ROUTES = frozenset({"/api/privacy/requests", "/api/privacy/requests/on-behalf"})
KEEP_USERS = frozenset(filter(None, os.environ.get("SECURITY_KEEP_USERS", "").split(",")))


@schemathesis.hook
def before_call(context: HookContext, case: Case[Any], kwargs: dict[str, Any]) -> None:
    operation = context.operation
    if operation is None:
        return
    if (operation.method.upper(), operation.path) == ("DELETE", "/api/users/{user_id}"):
        if case.path_parameters and case.path_parameters.get("user_id") in KEEP_USERS:
            case.path_parameters["user_id"] = str(uuid.uuid4())
        return
    if operation.method.upper() != "POST":
        return
    body = case.body
    if (
        operation.path in ERASURE_ROUTES
        and isinstance(body, dict)
        and body.get("type") == "erasure"
    ):
        body["type"] = "access"
    if operation.path == "/api/users/import":
        case.query = {**(case.query or {}), "dry_run": "true"}
