"""Shared by every test folder."""

pytest_plugins = ("pytester", "_scripted")  # _scripted: the scripted server and its fixtures
