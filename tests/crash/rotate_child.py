"""Run in a subprocess by the crash tests: rotate, or archive one month and die before its drop.

usage: python -m tests.crash.rotate_child URI DB PREFIX KEEP NOW_ISO ROOT [die-before-drop]
"""

import os
import signal
import sys
from datetime import datetime
from pathlib import Path

from pymongo import MongoClient

from shardsmith.archive.rotate import expired_months, month_label, rotate, write_archive


def main(uri, database, prefix, keep, now, root, mode=""):
    db = MongoClient(uri)[database]
    now = datetime.fromisoformat(now)
    db.command("ping")
    print("started", flush=True)
    if mode == "die-before-drop":
        name, ym = next(iter(expired_months(db, prefix, int(keep), now).items()))
        write_archive(db, name, month_label(*ym), Path(root))
        os.kill(os.getpid(), signal.SIGKILL)
    rotate(db, prefix, int(keep), Path(root), now=now, part_documents=150)


if __name__ == "__main__":
    main(*sys.argv[1:])
