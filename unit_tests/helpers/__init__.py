"""Test helpers shared by every connector's tests (each connector's own live in its folder)."""
