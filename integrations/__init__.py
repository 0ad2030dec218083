"""Thin adapters to the outside world. Each raises `DeliveryError` on failure."""


class DeliveryError(Exception):
    """The provider did not accept the message; worth another try later."""
