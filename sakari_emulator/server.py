"""`EmulatorServer`: the emulator over real HTTP, on uvicorn, in a background thread or in the foreground."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn
from starlette.applications import Starlette

from .app import create_app
from .config import EmulatorConfig, is_loopback_host
from .models import EmulatorBackend

_START_TIMEOUT = 10.0


class EmulatorServer:
    """Serve one emulator; port 0 picks a free port. Use as a context manager:

        with EmulatorServer(EmulatorConfig(port=0)) as server:
            httpx.get(server.url + "/_emulator/stats")

    The server is quiet: uvicorn logs only warnings and errors, and no access log unless asked.
    Leaving the block stops the server and closes the state's database.
    """

    def __init__(self, config: EmulatorConfig | None = None, *, access_log: bool = False) -> None:
        self.config = config or EmulatorConfig()
        if not self.config.allow_remote and not is_loopback_host(self.config.host):
            raise ValueError(
                f"refusing to serve on non-loopback host {self.config.host!r} without allow_remote"
            )
        self.app: Starlette = create_app(self.config)
        uvicorn_config = uvicorn.Config(
            self.app,
            log_config=uvicorn.config.LOGGING_CONFIG if access_log else None,
            log_level="info" if access_log else "warning",
            access_log=access_log,
            lifespan="off",
            server_header=False,
            proxy_headers=False,
        )
        self._server = uvicorn.Server(uvicorn_config)
        self._socket: socket.socket | None = None
        self._url: str | None = None
        self._thread: threading.Thread | None = None

    @property
    def backend(self) -> EmulatorBackend:
        backend: EmulatorBackend = self.app.state.emulator
        return backend

    @property
    def url(self) -> str:
        """Base URL without `/v1`, e.g. `http://127.0.0.1:54321`."""
        if self._url is None:
            raise RuntimeError("the server is not bound yet")
        return self._url

    def bind(self) -> None:
        """Open the listening socket (so `url` is known before serving)."""
        family, kind, proto, _, address = socket.getaddrinfo(
            self.config.host, self.config.port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
        )[0]
        # proto must say TCP: asyncio only sets TCP_NODELAY on accepted sockets whose proto is
        # IPPROTO_TCP, and without it every answer waits ~40 ms for a delayed ACK (Nagle).
        sock = socket.socket(family, kind, proto)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
            sock.listen(2048)
        except OSError:
            sock.close()
            raise
        self._socket = sock
        host, port = sock.getsockname()[:2]
        self._url = f"http://{f'[{host}]' if ':' in host else host}:{port}"

    def serve_forever(self) -> None:
        """Serve in this thread until SIGINT/SIGTERM (uvicorn handles both); then close the state."""
        if self._socket is None:
            self.bind()
        assert self._socket is not None
        try:
            self._server.run(sockets=[self._socket])
        finally:
            self._close()

    def start(self) -> None:
        """Serve in a daemon thread; returns once the server accepts connections."""
        self.bind()
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, name="sakari-emulator", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + _START_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the Sakari emulator did not start")
            time.sleep(0.005)

    def stop(self) -> None:
        """Stop serving, wait for the thread, close the socket and the state."""
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=_START_TIMEOUT)
            self._thread = None
        self._close()

    def _close(self) -> None:
        if self._socket is not None:
            self._socket.close()
        self.backend.close()

    def __enter__(self) -> EmulatorServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"EmulatorServer({self._url or 'unbound'})"
