"""Thin adapters to the outside world. Each raises `DeliveryError` on failure."""


class DeliveryError(Exception):
    """The provider did not accept the message; worth another try later."""


class PermanentDeliveryError(DeliveryError):
    """The provider refused the message for a reason another try cannot
    change (an invalid or barred number, the account's settings)."""


class MaybeSentError(DeliveryError):
    """No answer after the request went out: the provider may have taken the
    message. Sending it again blindly could reach the recipient twice."""
