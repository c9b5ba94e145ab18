"""A local emulator of the Sakari contacts API, for offline development, demos, CI and fault drills.

    from sakari_emulator import EmulatorConfig, EmulatorServer, create_app

See README.md beside this file for the routes, the options and every behaviour the emulator decides
where Sakari's documentation is silent.
"""

from .app import create_app
from .config import EmulatorConfig
from .server import EmulatorServer

__all__ = ["EmulatorConfig", "EmulatorServer", "create_app"]
