"""What the commands that reach Azure (`scan`, `preflight`) share: `--tenant`, `--verbose`, the SDK's
logging, and how a credential or access failure is printed (one line, exit 2).

azure-identity logs a warning of a dozen lines when DefaultAzureCredential finds no credential;
left to Python's last-resort handler it lands on stderr before the tool can say anything. It is
kept quiet here and shown, with the SDK's own message, only with `--verbose`.
"""

from __future__ import annotations

import logging
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from planner.collect.access import AccessError

EXIT_ACCESS = 2

TenantOpt = Annotated[
    str | None,
    typer.Option(
        "--tenant",
        "-t",
        help="Tenant to sign in to (id or domain), e.g. a customer's tenant you are a guest in. "
        "Default: the credential's own.",
    ),
]
VerboseOpt = Annotated[
    bool,
    typer.Option(
        "--verbose", "-v", help="Show the Azure SDK's sign-in log and its full message when signing in fails."
    ),
]

_SDK_LOGGER = "azure"
_CHAIN_LOGGER = "azure.identity._credentials.chained"
_handler: logging.Handler | None = None


def sdk_logging(verbose: bool) -> None:
    """Route the Azure SDK's log: to stderr with --verbose (sign-in at INFO), nowhere otherwise."""
    global _handler
    logger = logging.getLogger(_SDK_LOGGER)
    if _handler is not None:
        logger.removeHandler(_handler)
    if verbose:
        _handler = logging.StreamHandler()
        _handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
        # The chain's closing warning is the error's detail, printed once by access_failed.
        _handler.addFilter(lambda r: not (r.name == _CHAIN_LOGGER and r.levelno >= logging.WARNING))
        logger.setLevel(logging.WARNING)
        logging.getLogger("azure.identity").setLevel(logging.INFO)
    else:
        # A handler that drops everything keeps the last-resort handler from printing warnings.
        _handler = logging.NullHandler()
    logger.addHandler(_handler)


def access_failed(console: Console, error: AccessError, verbose: bool) -> typer.Exit:
    """Print the one line (and the SDK's detail with --verbose); the exit to raise."""
    console.print(f"error: {escape(str(error))}", soft_wrap=True, highlight=False)
    if verbose and error.detail:
        console.print(f"detail: {escape(error.detail)}", soft_wrap=True, highlight=False)
    return typer.Exit(EXIT_ACCESS)
