"""Run the app on a loopback port in a background thread (``stepline run`` when handlers need
the Data API, and the end-to-end tests)."""

from __future__ import annotations

import socket
import threading
import time

import uvicorn
from starlette.applications import Starlette


def listening_socket(host: str, port: int) -> socket.socket:
    """A bound TCP socket whose connections send without Nagle's delay. asyncio only sets
    TCP_NODELAY on sockets created with proto=IPPROTO_TCP; without it, botocore's two-segment
    requests (headers, then body) meet delayed ACKs and every call takes 40 ms more."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    return sock


class Server(uvicorn.Server):
    """uvicorn's server that first answers the app's long polls when asked to exit (Ctrl-C, stop)."""

    def handle_exit(self, sig: int, frame: object) -> None:
        release_waiters(self.config.app)
        super().handle_exit(sig, frame)


def release_waiters(app: object) -> None:
    release = getattr(getattr(app, "state", None), "release_waiters", None)
    if callable(release):
        release()


class BackgroundServer:
    """Example::

        with BackgroundServer(create_app(config)) as url:
            boto3.client("stepfunctions", endpoint_url=url, ...)
    """

    def __init__(self, app: Starlette, host: str = "127.0.0.1", port: int = 0) -> None:
        self.sock = listening_socket(host, port)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"
        self.server = Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def start(self, timeout: float = 30.0) -> str:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the stepline server did not start")
            time.sleep(0.01)
        return self.url

    def stop(self) -> None:
        release_waiters(self.server.config.app)
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.sock.close()

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
