"""Checks of our own that schemathesis runs beside its built-in ones (SCHEMATHESIS_HOOKS).

`role_respected`: every operation in /openapi.json names the lowest role that may call it
(`x-minimum-role`: anyone, user, admin, owner). When the run signs in with a lower role
(TENDA_FUZZ_ROLE), a 2xx answer from such an operation means a caller did what their role
does not allow.
"""

import os

import schemathesis

RANKS = {"anyone": 0, "user": 1, "admin": 2, "owner": 3}


@schemathesis.check
def role_respected(ctx, response, case):
    caller = os.environ.get("TENDA_FUZZ_ROLE", "owner")
    needed = case.operation.definition.raw.get("x-minimum-role", "anyone")
    if 200 <= response.status_code < 300 and RANKS[needed] > RANKS[caller]:
        raise AssertionError(
            f"{case.method} {case.path} needs {needed} but answered {response.status_code} to a {caller}")
