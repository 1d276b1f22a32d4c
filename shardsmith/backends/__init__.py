"""Backends start and stop a topology's processes and say where they listen.

`local` runs processes on this host (like mlaunch); `compose` runs docker
compose. Both fulfil `base.Backend` and report the same endpoints, so the
bootstrap and status are shared.
"""
