"""Pure scheduling logic: plain data in, plain data out, `now` passed in.

No Flask, no Peewee, no clock reads. Start with `scheduling.slots.bookable_starts`
and `scheduling.availability` for the input types.
"""
