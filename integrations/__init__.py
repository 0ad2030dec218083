"""Thin adapters to the outside world. Each raises `DeliveryError` on failure."""


class DeliveryError(Exception):
    """The provider did not accept the message; worth another try later.

    The message is English (for the log and the row). `kind` and `params`
    (plain strings) say the same as data, so the layer that shows it can say
    it in the reader's language; adapters have no language of their own."""

    def __init__(self, message: str = '', *, kind: str = '', **params):
        super().__init__(message)
        self.kind = kind
        self.params = {key: str(value) for key, value in params.items()}


class PermanentDeliveryError(DeliveryError):
    """The provider refused the message for a reason another try cannot
    change (an invalid or barred number, the account's settings)."""


class MaybeSentError(DeliveryError):
    """No answer after the request went out: the provider may have taken the
    message. Sending it again blindly could reach the recipient twice."""
