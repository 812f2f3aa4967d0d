"""Module loggers that import ``logging`` at their first message, so a build that logs nothing never loads it.

``logging`` and what it pulls in (``traceback``, ``string``, ``weakref``, ``threading``) cost about 4 ms of a
cold ``zir build hello.zir`` (docs/design/performance.md §10.1), and a build that succeeds logs nothing. A
``LazyLogger`` forwards each call to ``logging.getLogger(name)`` with ``stacklevel=2``, so records carry the
caller's name, file and line exactly as a module-level ``logging.getLogger(__name__)`` would give them, and
every handler or level configured on that name applies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import logging


class LazyLogger:
    """The logger named ``name``, looked up when a message is logged."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def logger(self) -> logging.Logger:
        """The real logger (imports ``logging`` the first time)."""
        import logging

        return logging.getLogger(self.name)

    def info(self, msg: str, *args: object) -> None:
        self.logger().info(msg, *args, stacklevel=2)

    def warning(self, msg: str, *args: object) -> None:
        self.logger().warning(msg, *args, stacklevel=2)

    def error(self, msg: str, *args: object) -> None:
        self.logger().error(msg, *args, stacklevel=2)

    def exception(self, msg: str, *args: object) -> None:
        """An error with the exception being handled (call it inside ``except``)."""
        self.logger().exception(msg, *args, stacklevel=2)
