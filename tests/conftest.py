"""Shared by every test folder."""

pytest_plugins = ("pytester",)
