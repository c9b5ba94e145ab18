"""The pipeline's fixtures (a small warehouse, the emulator, a saved Sakari block) for the wheel test."""

from tests.pipeline.conftest import emulator, list_ids, params, sakari_block

__all__ = ["emulator", "list_ids", "params", "sakari_block"]  # fixtures, found by name
