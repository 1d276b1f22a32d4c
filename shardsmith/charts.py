"""A matplotlib figure drawn off-screen and saved as a PNG, with the errors a user can fix as ShardsmithErrors."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from .errors import ShardsmithError


@contextmanager
def drawing(path: str | Path, **subplots):
    """Yield (figure, axes) from plt.subplots(**subplots); on leaving, lay out and save to `path` (110 dpi).

    The Agg backend draws without a display, so it works on servers.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(**subplots)
    try:
        yield figure, axes
        figure.tight_layout()
        figure.savefig(Path(path), dpi=110)
    except OSError as exc:
        raise ShardsmithError(f"cannot write the chart {path}: {exc.strerror}", hint="give --chart a writable path") from None
    finally:
        plt.close(figure)
