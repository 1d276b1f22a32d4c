"""Application users in the data plan: `plan`/`apply` on any target (`--uri`) create them and correct their roles.

The commands are the bootstrap's (bootstrap.users), so `up`, the compose init
script and `apply` create a user alike. Users the spec does not declare are
reported; `--prune` drops them, never the root user nor the user `apply` is
logged in as. Passwords stay {"$secret": "env:VAR"} placeholders in the plan
(and in `plan --json`); `apply` fills them in when it sends the command.
"""

from __future__ import annotations

from pymongo.errors import OperationFailure

from ..bootstrap.users import MAJORITY, create_command, roles_command
from ..errors import ShardsmithError
from ..servercodes import server_says
from .steps import Difference, Plan, Step


def shown(roles) -> str:
    return ", ".join(f"{role}@{db}" for role, db in roles) or "no roles"


def add_user_steps(plan: Plan, topology, client, *, prune: bool = False) -> None:
    """Steps that make the target's admin users match the spec's `users:` (nothing when it declares none)."""
    if not topology.users:
        return
    try:
        found = {u["user"]: u for u in client.admin.command("usersInfo", 1)["users"]}
        status = client.admin.command("connectionStatus")["authInfo"]
    except OperationFailure as exc:
        raise ShardsmithError(f"reading the target's users failed: {server_says(exc)}",
                              hint="log in as a user who may view and create users (root, or "
                                   "userAdminAnyDatabase)") from None
    for user in topology.users:
        have = found.get(user.name)
        if have is None:
            plan.steps.append(Step("createUser", f"user {user.name}", "admin", create_command(user),
                                   f"create user {user.name} with {shown(user.roles)} (password from "
                                   f"${user.password_env})"))
            continue
        roles = tuple(sorted((r["role"], r["db"]) for r in have.get("roles", [])))
        if roles != user.roles:
            plan.steps.append(Step("updateUser", f"user {user.name}", "admin", roles_command(user),
                                   f"give user {user.name} {shown(user.roles)} (has {shown(roles)})"))
    kept = {topology.auth.root_user} | {u["user"] for u in status.get("authenticatedUsers", []) if u["db"] == "admin"}
    declared = {user.name for user in topology.users}
    for name in sorted(set(found) - declared - kept):
        if prune:
            plan.steps.append(Step("dropUser", f"user {name}", "admin", {"dropUser": name, "writeConcern": MAJORITY},
                                   f"drop user {name} (not in the spec's users)"))
        else:
            plan.differences.append(Difference(f"user {name}", "is not in the spec's users; kept",
                                               "apply --prune drops it"))
