"""legithealth-async: the async Python client for the Legit.Health integration API."""

__version__ = "0.1.0"
