"""`create_app`: the emulator as a Starlette application (serve it with any ASGI server)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware

from . import inspection, routes
from .config import EmulatorConfig
from .exceptions import ApiError, handle_api_error, handle_http_exception
from .faults import install_log_filter
from .middleware import EmulatorMiddleware
from .models import EmulatorBackend


def create_app(config: EmulatorConfig | None = None) -> Starlette:
    """A fresh emulator; its state (an `EmulatorBackend`) is at `app.state.emulator`."""
    backend = EmulatorBackend(config or EmulatorConfig())
    install_log_filter()
    app = Starlette(
        routes=[*routes.ROUTES, *inspection.ROUTES],
        middleware=[Middleware(EmulatorMiddleware, backend=backend)],
        exception_handlers={ApiError: handle_api_error, HTTPException: handle_http_exception},
    )
    app.state.emulator = backend
    return app
