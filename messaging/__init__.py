"""The outbox: every SMS and e-mail is a row first, then a task; inbound SMS
are stored once and routed explicitly by the caller."""
