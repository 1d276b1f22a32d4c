"""Month archives: rotate (archive, verify, drop), restore, cleanup of empty months (see README, "Operating the data")."""

from .cleanup import cleanup
from .restore import restore
from .rotate import check_keep, rotate

__all__ = ["check_keep", "cleanup", "restore", "rotate"]
