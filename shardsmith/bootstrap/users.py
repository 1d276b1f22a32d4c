"""Application users as plan steps: created when missing, their roles corrected, their passwords never written.

Each user is two guarded commands on the admin database, run as root once the
root user exists (on a replica set's primary, on the router, or on the
standalone):

    createUser   unless usersInfo lists the user
    updateUser   (roles) unless usersInfo, filtered to exactly the spec's roles, lists it

so a second run sends nothing. The password is {"$secret": "env:VAR"}: each
executor reads the variable the spec names when it sends the command. A
user's password is set when it is created; Shardsmith cannot read it back, so
it never changes it afterwards.
"""

from __future__ import annotations

import os
from typing import Any

from ..servercodes import STEPPED_DOWN, ServerCode
from ..topology.model import AppUser, Topology
from ..topology.problems import late_spec_error
from .steps import Probe, Step, env_secret

MAJORITY = {"w": "majority", "wtimeout": 60000}
AGAIN = tuple(sorted(int(code) for code in STEPPED_DOWN))


def user_lookup(user: AppUser) -> dict[str, Any]:
    return {"usersInfo": {"user": user.name, "db": "admin"}}


def roles_filter(user: AppUser) -> dict[str, Any]:
    """A usersInfo filter that matches the user only when it holds exactly the spec's roles (in any order)."""
    return {"roles": {"$size": len(user.roles),
                      "$all": [{"$elemMatch": {"role": role, "db": db}} for role, db in user.roles]}}


def create_command(user: AppUser) -> dict[str, Any]:
    return {"createUser": user.name, "pwd": env_secret(user.password_env), "roles": user.role_documents,
            "writeConcern": MAJORITY}


def roles_command(user: AppUser) -> dict[str, Any]:
    return {"updateUser": user.name, "roles": user.role_documents, "writeConcern": MAJORITY}


def user_steps(part: str, address: str, where: str, users: tuple[AppUser, ...]) -> list[Step]:
    steps = []
    for user in users:
        exists = Probe(user_lookup(user), "users.user", contains=user.name)
        same_roles = Probe({**user_lookup(user), "filter": roles_filter(user)}, "users.user", contains=user.name)
        steps += [
            Step(part, "command", f"create user {user.name} on {where}", (address,), auth=True,
                 command=create_command(user), unless=exists, again=AGAIN,
                 done={ServerCode.UserAlreadyExists: "the user exists (created meanwhile)"},
                 says=f"user {user.name} created on {where}", reports=("users_applied", user.name)),
            Step(part, "command", f"give user {user.name} its roles on {where}", (address,), auth=True,
                 command=roles_command(user), unless=same_roles, again=AGAIN,
                 says=f"roles of user {user.name} corrected on {where}", reports=("users_applied", user.name)),
        ]
    return steps


def require_passwords(topology: Topology) -> None:
    """Every user's password variable is set (and not empty), or a spec error at its `password_env` line."""
    unset = [(f"users[{i}].password_env", f"{user.password_env} is not set (the password of user {user.name}); "
                                          f"export it, then run again")
             for i, user in enumerate(topology.users) if not os.environ.get(user.password_env)]
    if unset:
        raise late_spec_error(topology, unset)
