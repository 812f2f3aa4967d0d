"""``python -m server`` / ``zir lsp``: parse the command line, set up logging, run the server on stdio or TCP."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import TextIO


def main(argv: list[str] | None = None) -> int:
    """Run the language server until the client exits (or stdin reaches EOF)."""
    parser = argparse.ArgumentParser(prog="zir lsp", description="the ZIR Live language server")
    parser.add_argument("--tcp", metavar="HOST:PORT", help="listen on TCP instead of stdio")
    parser.add_argument("--log-file", metavar="PATH", help="also write the server log to PATH")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    args = parser.parse_args(argv)
    address: tuple[str, int] | None = None
    if args.tcp:
        host, sep, port = args.tcp.rpartition(":")
        if not sep or not port.isdigit() or int(port) > 65535:
            parser.error(f"--tcp expects HOST:PORT (a port from 0 to 65535), got {args.tcp!r}")
        address = (host or "127.0.0.1", int(port))

    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]  # stdout is the protocol
    if args.log_file:
        try:
            handlers.append(logging.StreamHandler(_open_log(args.log_file)))
        except OSError as exc:
            print(f"zir lsp: cannot open the log file '{args.log_file}': {exc.strerror or exc}", file=sys.stderr)
            return 1
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=handlers,
    )
    if not args.verbose:
        logging.getLogger("pygls").setLevel(logging.WARNING)

    from server.backend import tune_process
    from server.server import create_server

    tune_process()
    server = create_server()
    if address is not None:
        try:
            server.start_tcp(*address)
        except OSError as exc:  # a host that does not resolve, a port in use or not ours to take
            print(f"zir lsp: cannot listen on {address[0]}:{address[1]}: {exc.strerror or exc}", file=sys.stderr)
            return 1
    else:
        server.start_io()
    return 0


def _open_log(path: str) -> TextIO:
    """The log file, appended to. Opened with ``O_NONBLOCK`` so that a FIFO nobody reads is an error (``ENXIO``)
    instead of a server that never starts (``open`` waited for a reader); blocking again once open."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY, 0o666)
    os.set_blocking(fd, True)
    return os.fdopen(fd, "a", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
