"""Helpers shared by every test suite (the emulator handle and fixtures live in `emulator.py`)."""
