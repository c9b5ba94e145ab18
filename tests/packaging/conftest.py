"""The pipeline's fixtures (a small warehouse, the emulator, a saved Sakari block) for the wheel test."""

from tests.pipeline.conftest import list_ids, params, sakari_block

__all__ = ["list_ids", "params", "sakari_block"]  # fixtures, found by name
