"""Peewee models and the query helpers that belong to them.

Instants are stored as naive UTC datetimes (see `utcnow`); wall-clock times of
an organisation are converted with its `zone`.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import secrets
from contextlib import nullcontext
from urllib.parse import unquote, urlparse
from zoneinfo import ZoneInfo

from flask_login import UserMixin
import peewee
from peewee import (BigIntegerField, BooleanField, CharField, DatabaseProxy, DateField,
                    DateTimeField, DeferredForeignKey, ForeignKeyAccessor, IntegerField, Model,
                    SqliteDatabase, TextField, TimeField, Value, fn)
from playhouse.pool import PooledPostgresqlDatabase
from werkzeug.security import check_password_hash, generate_password_hash

db = DatabaseProxy()


def utcnow() -> dt.datetime:
    """Current instant as a naive UTC datetime (the storage convention)."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def lock_row(model, row_id: int, mode: str = 'FOR UPDATE') -> None:
    """Lock one row until the transaction ends (PostgreSQL; SQLite's
    IMMEDIATE transactions hold the database write lock already).
    'FOR NO KEY UPDATE' lets rows that refer to it be inserted meanwhile."""
    if db.obj.for_update:
        model.select(model.id).where(model.id == row_id).for_update(mode).execute()


def id_of(row_or_id) -> int:
    """An id given as itself or as its row (callers hold either)."""
    return row_or_id if isinstance(row_or_id, int) else row_or_id.id


# --- prepared reads -------------------------------------------------------------
# The busiest pages run a dozen small queries each, and peewee takes longer to
# generate their SQL than the database takes to answer them. A prepared read
# builds its query once per database kind (and per length of each list it is
# given), with placeholders where the values go, and binds the values on each
# call: the same SQL peewee would write, generated once.

class _Slot:
    """Where a prepared read's value `name` (its item `index` for a list) goes."""
    __slots__ = ('name', 'index')

    def __init__(self, name: str, index: int | None = None):
        self.name, self.index = name, index


class _Placeholders:
    """What a prepared read's builder sees: `p.ids` stands for the value
    given as `ids` (a list for `.in_()`), not converted by the field (the
    caller passes what the database stores: ids, naive UTC datetimes)."""

    def __init__(self, values: dict):
        self._values = values

    def __getattr__(self, name: str) -> Value:
        try:
            value = self._values[name]
        except KeyError:
            raise AttributeError(name) from None
        if isinstance(value, (list, tuple)):
            return Value([_Slot(name, i) for i in range(len(value))], converter=False)
        return Value(_Slot(name), converter=False)


class PreparedRead:
    """A read query built by `build(p, *shape)`, its SQL generated once.

    `shape` (positional, hashable) chooses between forms of the query (a
    condition more or less); the values (keywords) fill its placeholders.
    A value never decides the form: None (IS NULL) and model instances
    are refused, so that a cached statement cannot silently mean another
    query."""

    def __init__(self, build):
        self._build = build
        self._statements: dict = {}
        functools.update_wrapper(self, build)

    def _statement(self, shape: tuple, values: dict):
        lengths = tuple(sorted((name, len(v)) for name, v in values.items()
                               if isinstance(v, (list, tuple))))
        key = (type(db.obj), shape, lengths)
        for name, value in values.items():    # on every call: the statement may be cached
            if value is None or isinstance(value, Model):
                raise TypeError(f'{self.__name__}: {name} must be a plain value '
                                f'(choose the form with a shape argument)')
        found = self._statements.get(key)
        if found is None:
            query = self._build(_Placeholders(values), *shape)
            sql, params = query.sql()
            if len(self._statements) > 512:    # lists of ever new lengths
                self._statements.clear()
            found = self._statements[key] = (query, sql, params)
        return found

    def _execute(self, shape: tuple, values: dict):
        query, sql, params = self._statement(shape, values)
        bound = [(values[p.name] if p.index is None else values[p.name][p.index])
                 if type(p) is _Slot else p for p in params]
        return query, db.execute_sql(sql, bound)

    def rows(self, *shape, **values) -> list[tuple]:
        """The rows as the driver returns them (no conversion by the fields)."""
        return self._execute(shape, values)[1].fetchall()

    def models(self, *shape, **values) -> list:
        """The rows as peewee's model instances, joined models filled in."""
        query, cursor = self._execute(shape, values)
        return list(query._get_cursor_wrapper(cursor).iterator())


def prepared(build) -> PreparedRead:
    """Decorator: the query `build(p, *shape)` returns, prepared (see above)."""
    return PreparedRead(build)


@prepared
def _row_by_id(p, model):
    return model.select().where(model._meta.primary_key == p.id).limit(1)


class _PreparedLazyLoad(ForeignKeyAccessor):
    """`meeting.team` not loaded with the row: fetched by id through a
    prepared read (peewee builds a new query each time; pages follow
    several such references per request)."""

    def get_rel_instance(self, instance):
        value = instance.__data__.get(self.name)
        if (value is None or self.name in instance.__rel__ or not self.field.lazy_load
                or self.field.rel_field is not self.rel_model._meta.primary_key):
            return super().get_rel_instance(instance)
        rows = _row_by_id.models(self.rel_model, id=value)
        if not rows:
            raise self.rel_model.DoesNotExist(f'{self.rel_model.__name__} {value} does not exist')
        instance.__rel__[self.name] = rows[0]
        return rows[0]


class ForeignKeyField(peewee.ForeignKeyField):
    accessor_class = _PreparedLazyLoad


def make_database(url: str):
    """Build the peewee database for a DATABASE_URL (sqlite:/// or postgresql://)."""
    parsed = urlparse(url)
    if parsed.scheme == 'sqlite':
        path = unquote(parsed.path)
        if path.startswith('//'):  # sqlite:////abs/path
            path = path[1:]
        elif path.startswith('/'):  # sqlite:///relative/path
            path = path[1:]
        # IMMEDIATE: writers take the lock when the transaction starts, so a
        # re-check inside a booking transaction cannot be raced (rule 3).
        return SqliteDatabase(path, lock_type='IMMEDIATE', pragmas={
            'journal_mode': 'wal',
            'foreign_keys': 1,
            'busy_timeout': 10000,
            'synchronous': 'normal',
        })
    if parsed.scheme in ('postgres', 'postgresql'):
        return PooledPostgresqlDatabase(
            unquote(parsed.path.lstrip('/')),
            user=unquote(parsed.username) if parsed.username else None,
            password=unquote(parsed.password) if parsed.password else None,
            host=parsed.hostname, port=parsed.port,
            max_connections=32, stale_timeout=300, timeout=10)
    raise ValueError(f'Unsupported DATABASE_URL scheme: {parsed.scheme!r}')


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False


# --- organisations and people -------------------------------------------

class Organisation(BaseModel):
    PLANNER = 'planner'   # a job centre (appointments)
    POOL = 'pool'         # a municipality's substitute pool
    KINDS = (PLANNER, POOL)

    name = CharField(max_length=200)
    slug = CharField(max_length=60, unique=True)
    kind = CharField(max_length=16)
    country = CharField(max_length=2)          # 'DK' or 'SE'
    timezone = CharField(max_length=64)        # e.g. Europe/Copenhagen
    language = CharField(max_length=8)         # default UI language
    sms_sender = CharField(max_length=11)      # alphanumeric sender id
    phone = CharField(max_length=20, default='')  # shown in automatic replies
    display_grid_minutes = IntegerField(default=15)  # citizens' booking grid: 15/30/60
    rights_and_duties = TextField(default='')  # shown in full before a citizen books
    created_at = DateTimeField(default=utcnow)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local(self, instant: dt.datetime) -> dt.datetime:
        """A stored UTC instant as wall-clock time of this organisation."""
        return instant.replace(tzinfo=dt.timezone.utc).astimezone(self.zone)


# Compared against when there is no password hash, at the cost of a real one.
_NO_PASSWORD = generate_password_hash(secrets.token_hex(16))


class User(UserMixin, BaseModel):
    ADMIN = 'admin'
    PLANNER = 'planner'
    CASEWORKER = 'caseworker'
    SUBSTITUTE = 'substitute'
    CITIZEN = 'citizen'
    ROLES = (ADMIN, PLANNER, CASEWORKER, SUBSTITUTE, CITIZEN)
    STAFF_ROLES = (ADMIN, PLANNER, CASEWORKER)

    organisation = ForeignKeyField(Organisation, backref='users',
                                   on_delete='CASCADE')
    role = CharField(max_length=16, index=True)
    name = CharField(max_length=200)
    email = CharField(max_length=254, null=True, unique=True)      # staff login
    username = CharField(max_length=64, null=True, unique=True)    # substitute login
    password_hash = CharField(max_length=255, null=True)
    cpr = CharField(max_length=12, null=True, unique=True)         # citizen login
    phone = CharField(max_length=20, null=True)                    # E.164
    language = CharField(max_length=8, null=True)
    active = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)
    last_login_at = DateTimeField(null=True)

    # Set by the session loader: Flask-Login stores this, not the user id, so
    # that logging out deletes the server-side session for real.
    session_token: str | None = None

    def get_id(self):
        return self.session_token

    @property
    def is_active(self):
        return self.active

    @property
    def is_staff(self) -> bool:
        return self.role in self.STAFF_ROLES

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        """Hashes even when there is no password to compare with (nobody, an
        account without one): a wrong name answers no faster (no enumeration)."""
        matches = check_password_hash(self.password_hash or _NO_PASSWORD, password)
        return bool(self.password_hash) and matches

    @property
    def masked_cpr(self) -> str:
        return mask_cpr(self.cpr)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


def mask_cpr(cpr: str | None) -> str:
    """Birth date part only: 010190-xxxx (as the deck shows CPR in lists)."""
    if not cpr:
        return ''
    digits = cpr if cpr.isdigit() else ''.join(c for c in cpr if c.isdigit())
    return f'{digits[:6]}-xxxx'


def mask_phone(phone: str | None) -> str:
    if not phone:
        return ''
    return phone[:3] + '•' * max(len(phone) - 5, 0) + phone[-2:]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class UserSession(BaseModel):
    """A login. The cookie carries the token; the row holds only its hash."""
    LIFETIME = dt.timedelta(hours=12)

    token_hash = CharField(max_length=64, unique=True)
    user = ForeignKeyField(User, backref='sessions', on_delete='CASCADE')
    created_at = DateTimeField(default=utcnow)
    last_seen_at = DateTimeField(default=utcnow)
    expires_at = DateTimeField(index=True)

    @classmethod
    def open(cls, user: User) -> str:
        token = secrets.token_urlsafe(32)
        now = utcnow()
        cls.create(token_hash=_digest(token), user=user, created_at=now,
                   last_seen_at=now, expires_at=now + cls.LIFETIME)
        return token

    @classmethod
    def load_user(cls, token: str) -> User | None:
        """The user of a live session, with their organisation (every page
        reads it): one prepared query on every request."""
        now = utcnow()
        rows = _live_session.models(token_hash=_digest(token), now=now)
        if not rows:
            return None
        row = rows[0]
        if now - row.last_seen_at > dt.timedelta(minutes=5):
            # Sliding expiry, written at most every five minutes.
            cls.update(last_seen_at=now, expires_at=now + cls.LIFETIME).where(
                cls.id == row.id).execute()
        user = row.user
        user.session_token = token
        return user

    @classmethod
    def close(cls, token: str | None) -> None:
        if token:
            cls.delete().where(cls.token_hash == _digest(token)).execute()

    @classmethod
    def purge(cls, now: dt.datetime) -> int:
        return cls.delete().where(cls.expires_at <= now).execute()


@prepared
def _live_session(p):
    return (UserSession.select(UserSession, User, Organisation)
            .join(User).join(Organisation)
            .where(UserSession.token_hash == p.token_hash, UserSession.expires_at > p.now,
                   User.active == True)  # noqa: E712
            .limit(1))


class OneTimeCode(BaseModel):
    """A 6-digit code sent by SMS. The browser holds `challenge`, never the code.

    A row without a user stands in for a number or name we do not know (or
    one that may not have a code now): the same work is done for it as for a
    real code, and it can never log anyone in."""
    CITIZEN_LOGIN = 'citizen_login'
    NEW_DEVICE = 'new_device'
    VALIDITY = dt.timedelta(minutes=10)
    MAX_ATTEMPTS = 5
    RESEND_AFTER = dt.timedelta(seconds=60)
    MAX_PER_HOUR = 5
    KEPT_FOR = dt.timedelta(hours=1)   # the hourly limit counts rows this old

    user = ForeignKeyField(User, backref='codes', on_delete='CASCADE', null=True)
    purpose = CharField(max_length=20)
    challenge = CharField(max_length=64, unique=True)
    code_hash = CharField(max_length=64)
    created_at = DateTimeField(default=utcnow, index=True)
    expires_at = DateTimeField()
    attempts = IntegerField(default=0)
    used_at = DateTimeField(null=True)     # set only when the code logged someone in

    class Meta:
        indexes = ((('user', 'created_at'), False),)

    @staticmethod
    def _hash(challenge: str, code: str) -> str:
        return hmac.new(challenge.encode(), code.encode(), 'sha256').hexdigest()

    @classmethod
    def _unused_since(cls, user_id: int, since: dt.datetime) -> list['OneTimeCode']:
        """Codes sent to the user since `since` that logged nobody in, newest first."""
        return list(cls.select(cls.created_at, cls.challenge)
                    .where(cls.user == user_id, cls.used_at.is_null(),
                           cls.created_at > since)
                    .order_by(cls.created_at.desc(), cls.id.desc()))

    @classmethod
    def _allows(cls, unused: list['OneTimeCode'], now: dt.datetime) -> bool:
        """Resend limit: one a minute and five an hour per user. A code that
        logged someone in reached the person's own phone, so it holds back
        nothing (log out and in again at once gets a new code)."""
        if len(unused) >= cls.MAX_PER_HOUR:
            return False
        return not unused or now - unused[0].created_at >= cls.RESEND_AFTER

    @classmethod
    def claim(cls, user: User | None, purpose: str,
              challenge: str | None = None) -> tuple[str, str | None]:
        """A new code for `user` unless the resend limit says no, one request
        at a time per user: the user's row is locked (PostgreSQL; SQLite's
        IMMEDIATE transaction holds the write lock already), so two parallel
        requests send one code.

        Returns (the challenge the browser is to hold, the code to text or
        None). Refused, the browser keeps the code that went out last, still
        valid. Nobody (None), refused or not, costs the same queries: a row
        without a user is written in place of the real one."""
        now = utcnow()
        user_id = user.id if user is not None else 0
        with db.atomic():
            lock_row(User, user_id, 'FOR NO KEY UPDATE')
            unused = cls._unused_since(user_id, now - cls.KEPT_FOR)
            allowed = user is not None and cls._allows(unused, now)
            if user is not None and not allowed:
                # The browser keeps its challenge, or gets the one of the code
                # sent last; the stand-in (on a resend: looking up a challenge
                # nobody holds) is there for the cost alone.
                cls.issue(None, purpose, secrets.token_urlsafe(32) if challenge else None,
                          now=now)
                return challenge or unused[0].challenge, None
            row, code = cls.issue(user, purpose, challenge, now=now)
            return row.challenge, code if user is not None else None

    @classmethod
    def issue(cls, user: User | None, purpose: str, challenge: str | None = None,
              now: dt.datetime | None = None) -> tuple['OneTimeCode', str]:
        """Create a code (earlier open codes of the user die). Returns (row, code).

        A resend passes the browser's `challenge`: the new code takes it over
        from the dead one, so that what the browser holds never changes, for a
        known person or for an unknown one alike."""
        now = now or utcnow()
        user_id = user.id if user is not None else 0
        # Killed by expiry: `used_at` stays for a code that logged someone in.
        cls.update(expires_at=now).where(cls.user == user_id, cls.purpose == purpose,
                                         cls.used_at.is_null(),
                                         cls.expires_at > now).execute()
        code = f'{secrets.randbelow(10**6):06d}'
        if challenge is None:
            challenge = secrets.token_urlsafe(32)
        else:
            cls.update(challenge=secrets.token_urlsafe(32), expires_at=now).where(
                cls.challenge == challenge).execute()
        row = cls.create(user=user, purpose=purpose, challenge=challenge,
                         code_hash=cls._hash(challenge, code), created_at=now,
                         expires_at=now + cls.VALIDITY)
        return row, code

    @classmethod
    def purge(cls, now: dt.datetime) -> int:
        """Delete codes past any use: expired, and older than the hourly limit looks."""
        return cls.delete().where(cls.created_at < now - cls.KEPT_FOR,
                                  cls.expires_at <= now).execute()

    def check(self, code: str) -> bool:
        """Verify and consume. Every try counts; after five it is dead."""
        now = utcnow()
        # Count the try in the database before comparing: parallel guesses
        # that all read the row before any wrote to it cannot pass the limit.
        counted = (OneTimeCode.update(attempts=OneTimeCode.attempts + 1)
                   .where(OneTimeCode.id == self.id, OneTimeCode.used_at.is_null(),
                          OneTimeCode.expires_at > now,
                          OneTimeCode.attempts < self.MAX_ATTEMPTS).execute())
        if not counted:   # used, expired or out of tries
            return False
        self.attempts += 1
        code = ''.join(c for c in (code or '') if c.isdigit())
        if not hmac.compare_digest(self.code_hash, self._hash(self.challenge, code)):
            return False
        # Conditional update: two concurrent correct tries, one wins.
        won = (OneTimeCode.update(used_at=now)
               .where(OneTimeCode.id == self.id,
                      OneTimeCode.used_at.is_null()).execute())
        return won == 1


class TrustedDevice(BaseModel):
    """A device on which a substitute has entered an SMS code (Swedish guide)."""
    LIFETIME = dt.timedelta(days=90)

    user = ForeignKeyField(User, backref='devices', on_delete='CASCADE')
    token_hash = CharField(max_length=64, unique=True)
    created_at = DateTimeField(default=utcnow)
    expires_at = DateTimeField()
    label = CharField(max_length=200, default='')

    @classmethod
    def remember(cls, user: User, label: str = '') -> str:
        token = secrets.token_urlsafe(32)
        now = utcnow()
        cls.create(user=user, token_hash=_digest(token), created_at=now,
                   expires_at=now + cls.LIFETIME, label=label[:200])
        return token

    @classmethod
    def is_trusted(cls, user: User, token: str | None) -> bool:
        if not token:
            return False
        return cls.select().where(cls.user == user,
                                  cls.token_hash == _digest(token),
                                  cls.expires_at > utcnow()).exists()


def purge_expired_logins(now: dt.datetime | None = None) -> dict[str, int]:
    """Delete what no longer logs anyone in: expired sessions, spent codes
    and devices no longer remembered (run every hour by the worker)."""
    now = now or utcnow()
    return {'sessions': UserSession.purge(now), 'codes': OneTimeCode.purge(now),
            'devices': TrustedDevice.delete().where(TrustedDevice.expires_at <= now).execute()}


# --- the outbox state machine, messages and audit ----------------------------

class OutboxMixin(BaseModel):
    """What every outbox row shares (DESIGN rule 4): Message and CalendarSync.

    A row is written first, then a worker claims it (queued -> sending, one
    worker only), and the send ends in the model's own state or, on failure,
    back in the queue with backoff; after MAX_ATTEMPTS it is failed. A send
    that stalls (a worker killed mid-send) is put back by the sweep (`due`).

    Never a table of its own. A model declares `status` itself (its default
    differs per table), its own STALLED text and, if the sweep must skip some
    of its rows, `sweep_scope`.
    """
    QUEUED, SENDING, FAILED = 'queued', 'sending', 'failed'
    MAX_ATTEMPTS = 5
    STUCK_AFTER = dt.timedelta(minutes=10)
    STALLED = 'Stalled while sending'
    ERROR_LENGTH = 2000   # of `last_error`: a whole traceback is no use to staff

    attempts = IntegerField(default=0)
    next_attempt_at = DateTimeField(null=True)
    last_error = TextField(default='')
    updated_at = DateTimeField(default=utcnow)

    @classmethod
    def retry_delay(cls, attempts: int) -> dt.timedelta:
        """Backoff after the n-th failed attempt: 30 s, 2 min, 8 min, 32 min, 2 h."""
        return dt.timedelta(seconds=30 * 4 ** (max(attempts, 1) - 1))

    @classmethod
    def attempt_due(cls, now: dt.datetime):
        """Rows whose next attempt may start now (none set: at once)."""
        return cls.next_attempt_at.is_null() | (cls.next_attempt_at <= now)

    @classmethod
    def sweep_scope(cls) -> list:
        """Conditions on the rows the sweep handles (all of them unless a
        model says otherwise)."""
        return []

    def claim(self) -> bool:
        """queued -> sending, atomically: two workers never send one row."""
        model = type(self)
        now = utcnow()
        n = (model.update(status=model.SENDING, updated_at=now, attempts=model.attempts + 1)
             .where(model.id == self.id, model.status == model.QUEUED,
                    model.attempt_due(now))
             .execute())
        if n:
            self.status, self.attempts = model.SENDING, self.attempts + 1
            self.updated_at = now
        return n == 1

    def failed_attempt(self, error: str, now: dt.datetime) -> dict:
        """The fields after a failed attempt: back to the queue with backoff,
        or failed after the last attempt."""
        if self.attempts >= self.MAX_ATTEMPTS:
            status, next_attempt_at = self.FAILED, None
        else:
            status, next_attempt_at = self.QUEUED, now + self.retry_delay(self.attempts)
        return dict(status=status, next_attempt_at=next_attempt_at,
                    last_error=error[:self.ERROR_LENGTH], updated_at=now)

    def finish_sending(self, fields: dict, *conditions) -> bool:
        """Write `fields` if the row is still being sent (and `conditions`
        hold); kept on this object when written."""
        model = type(self)
        n = (model.update(**fields)
             .where(model.id == self.id, model.status == model.SENDING, *conditions)
             .execute())
        if n:
            for name, value in fields.items():
                setattr(self, name, value)
        return n == 1

    def mark_failed_attempt(self, error: str, *, final: bool = False) -> None:
        """Back to the queue with backoff, or failed after the last attempt
        (at once when `final`: another try cannot help)."""
        fields = self.failed_attempt(error, utcnow())
        if final:
            fields.update(status=self.FAILED, next_attempt_at=None)
        # Only from 'sending': another writer may already have settled the
        # row (a delivery receipt proving that a timed-out send went through).
        if not self.finish_sending(fields):
            fresh = type(self).get_by_id(self.id)
            self.status, self.next_attempt_at = fresh.status, fresh.next_attempt_at
            self.last_error, self.updated_at = fresh.last_error, fresh.updated_at

    @classmethod
    def due(cls, now: dt.datetime, stuck_after: dt.timedelta | None = None):
        """Ids of rows a sweep should (re)enqueue; resets stalled sends first.

        A send stalled after the last attempt fails for good instead of
        looping; the others go back to the queue."""
        if stuck_after is None:
            stuck_after = cls.STUCK_AFTER
        scope = cls.sweep_scope()
        stalled = (*scope, cls.status == cls.SENDING, cls.updated_at < now - stuck_after)
        (cls.update(status=cls.FAILED, next_attempt_at=None, updated_at=now,
                    last_error=cls.STALLED)
         .where(*stalled, cls.attempts >= cls.MAX_ATTEMPTS)
         .execute())
        (cls.update(status=cls.QUEUED, next_attempt_at=now, updated_at=now,
                    last_error=cls.STALLED + '; queued again')
         .where(*stalled)
         .execute())
        return cls.select(cls.id).where(*scope, cls.status == cls.QUEUED, cls.attempt_due(now))


class Message(OutboxMixin):
    """Every SMS and email, both directions: a row first, then a task (rule 4)."""
    SMS, EMAIL = 'sms', 'email'
    OUT, IN = 'out', 'in'
    # With the outbox's QUEUED, SENDING and FAILED. PART: one part of a long
    # inbound SMS, never handled alone (the whole is a RECEIVED row).
    SENT, DELIVERED, RECEIVED, PART = 'sent', 'delivered', 'received', 'part'
    # Kinds: an automatic message may be answered, a manual one may not.
    CODE, AUTOMATIC, MANUAL, REPLY = 'code', 'automatic', 'manual', 'reply'
    STALLED = 'Stalled while sending; it may or may not have gone out'
    # A send that got no answer: never repeated by itself (it could arrive
    # twice); a delivery receipt may still settle it, else staff decide.
    MAYBE_SENT = 'No answer from the provider; it may have been sent'

    organisation = ForeignKeyField(Organisation, null=True, backref='messages',
                                   on_delete='CASCADE')
    user = ForeignKeyField(User, null=True, backref='messages',
                           on_delete='SET NULL')
    channel = CharField(max_length=8)
    direction = CharField(max_length=4)
    kind = CharField(max_length=16, default=AUTOMATIC)
    recipient = CharField(max_length=254)
    sender = CharField(max_length=254, default='')
    subject = CharField(max_length=300, default='')
    body = TextField()
    status = CharField(max_length=12, index=True)
    provider = CharField(max_length=16, default='')
    provider_id = CharField(max_length=100, null=True, unique=True)
    created_at = DateTimeField(default=utcnow, index=True)
    handled_at = DateTimeField(null=True)   # inbound: dispatched
    # The meeting a notice is about (summons follow-up: delivered or not).
    meeting = DeferredForeignKey('Meeting', null=True, backref='messages',
                                 on_delete='SET NULL')
    # Inbound: one part of a long (concatenated) SMS, by the provider's
    # reference; the parts are read together once all have come.
    concat_ref = CharField(max_length=40, null=True)
    concat_part = IntegerField(null=True)
    concat_total = IntegerField(null=True)

    class Meta:
        indexes = ((('status', 'next_attempt_at'), False),
                   (('organisation', 'created_at'), False),
                   (('sender', 'concat_ref'), False))

    @property
    def is_secret(self) -> bool:
        """Login codes never show in the log UI."""
        return self.kind == self.CODE

    @classmethod
    def for_organisation(cls, organisation):
        return cls.select().where(cls.organisation == organisation)

    @classmethod
    def sweep_scope(cls) -> list:
        """Outbound only: inbound rows are dispatched, never sent."""
        return [cls.direction == cls.OUT]

    def mark_sent(self, provider: str, provider_id: str | None) -> None:
        """sending -> sent. Writes only what the send decided, so a delivery
        receipt that overtook this write keeps its status."""
        now = utcnow()
        provider_id = provider_id[:100] if provider_id else None
        fields = dict(provider=provider, provider_id=provider_id,
                      next_attempt_at=None, updated_at=now)
        n = (Message.update(status=self.SENT, last_error='', **fields)
             .where(Message.id == self.id,
                    Message.status.in_((self.SENDING, self.QUEUED)))
             .execute())
        if n:
            self.status, self.last_error = self.SENT, ''
        else:
            Message.update(**fields).where(Message.id == self.id).execute()
            self.status = (Message.select(Message.status)
                           .where(Message.id == self.id).scalar())
        self.provider, self.provider_id = provider, provider_id
        self.next_attempt_at, self.updated_at = None, now

    # Inbound SMS: `next_attempt_at` is the dispatch lease / retry time and
    # `attempts` counts dispatches, so a failing handler neither runs twice at
    # once nor forever.
    DISPATCH_LEASE = dt.timedelta(minutes=10)

    def claim_dispatch(self) -> bool:
        now = utcnow()
        n = (Message.update(attempts=Message.attempts + 1, updated_at=now,
                            next_attempt_at=now + self.DISPATCH_LEASE)
             .where(Message.id == self.id, Message.direction == self.IN,
                    Message.handled_at.is_null(), Message.attempt_due(now))
             .execute())
        if n:
            self.attempts += 1
        return n == 1

    def mark_handled(self, error: str = '') -> None:
        now = utcnow()
        self.handled_at, self.next_attempt_at, self.updated_at = now, None, now
        self.last_error = error[:self.ERROR_LENGTH]
        self.save(only=[Message.handled_at, Message.next_attempt_at,
                        Message.updated_at, Message.last_error])

    def mark_dispatch_failed(self, error: str) -> None:
        """Try the handlers again later; after the last attempt give up."""
        if self.attempts >= self.MAX_ATTEMPTS:
            self.mark_handled(error)
            return
        now = utcnow()
        self.last_error, self.updated_at = error[:self.ERROR_LENGTH], now
        self.next_attempt_at = now + self.retry_delay(self.attempts)
        self.save(only=[Message.last_error, Message.updated_at,
                        Message.next_attempt_at])

    @classmethod
    def undispatched(cls, now: dt.datetime):
        """Inbound rows whose handlers have not run (lost task or retry due)."""
        return (cls.select(cls.id)
                .where(cls.direction == cls.IN, cls.status == cls.RECEIVED,
                       cls.handled_at.is_null(), cls.attempt_due(now)))


class AuditEvent(BaseModel):
    """Who did what to whose data. Never holds a CPR number: a reference only."""
    organisation = ForeignKeyField(Organisation, null=True, on_delete='CASCADE')
    actor = ForeignKeyField(User, null=True, on_delete='SET NULL',
                            backref='audit_events')
    action = CharField(max_length=40, index=True)
    object_type = CharField(max_length=40, default='')
    object_id = IntegerField(null=True)
    detail = CharField(max_length=300, default='')
    ip = CharField(max_length=45, default='')
    at = DateTimeField(default=utcnow, index=True)

    @classmethod
    def record(cls, action, *, actor=None, organisation=None, obj=None,
               detail='', ip=''):
        return cls.create(
            action=action, actor=actor, detail=detail[:300], ip=ip or '',
            organisation=organisation or (actor.organisation_id if actor else None),
            object_type=type(obj).__name__ if obj is not None else '',
            object_id=obj.id if obj is not None else None)


# --- Planner: teams, caseworkers, rooms, calendars ------------------------

class TreeMixin:
    """An organisation's ordered tree (teams, pool units): needs `organisation`,
    `parent` (self-reference) and `position` fields."""

    @classmethod
    def tree(cls, organisation) -> list[tuple]:
        """[(node, depth)] in display order: each node followed by its
        children, siblings by position."""
        children: dict = {}
        for node in (cls.select().where(cls.organisation == organisation)
                     .order_by(cls.position, cls.id)):
            children.setdefault(node.parent_id, []).append(node)
        out, seen = [], set()

        def walk(parent_id, depth):
            for node in children.get(parent_id, ()):
                if node.id not in seen:   # a cycle must not hang the page
                    seen.add(node.id)
                    out.append((node, depth))
                    walk(node.id, depth + 1)
        walk(None, 0)
        return out

    def descendant_ids(self) -> set[int]:
        cls = type(self)
        found, frontier = set(), {self.id}
        while frontier:
            frontier = {n.id for n in cls.select(cls.id).where(
                cls.parent.in_(list(frontier)))} - found
            found |= frontier
        return found

    def siblings(self):
        cls = type(self)
        parent = (cls.parent.is_null() if self.parent_id is None
                  else cls.parent == self.parent_id)
        return (cls.select().where(cls.organisation == self.organisation_id, parent)
                .order_by(cls.position, cls.id))

    def move(self, step: int) -> bool:
        """One place up (-1) or down (+1) among its siblings."""
        cls = type(self)
        with db.atomic():
            order = list(self.siblings())
            index = next(i for i, n in enumerate(order) if n.id == self.id)
            other = index + step
            if not 0 <= other < len(order):
                return False
            order[index], order[other] = order[other], order[index]
            for position, node in enumerate(order):
                cls.update(position=position).where(cls.id == node.id).execute()
            self.position = other
            return True

    def move_under(self, parent) -> None:
        """Last child of `parent` (None: top level). Never under itself."""
        cls = type(self)
        if parent is not None and (parent.id == self.id
                                   or parent.id in self.descendant_ids()):
            raise ValueError(f'a {cls.__name__.lower()} cannot move under itself')
        with db.atomic():
            self.parent = parent
            # No ORDER BY beside the aggregate (PostgreSQL refuses it).
            last = self.siblings().order_by().where(cls.id != self.id).select(
                fn.MAX(cls.position)).scalar()
            self.position = 0 if last is None else last + 1
            self.save(only=[cls.parent, cls.position])


class Team(TreeMixin, BaseModel):
    """A node of the organisation's team tree; sibling order by `position`."""
    organisation = ForeignKeyField(Organisation, backref='teams', on_delete='CASCADE')
    parent = ForeignKeyField('self', null=True, backref='children', on_delete='RESTRICT')
    position = IntegerField(default=0)
    name = CharField(max_length=120)
    address = CharField(max_length=200, default='')
    postcode = CharField(max_length=10, default='')
    city = CharField(max_length=80, default='')
    email = CharField(max_length=254, default='')
    phone = CharField(max_length=20, default='')
    description = TextField(default='')   # admins only

    class Meta:
        indexes = ((('organisation', 'parent', 'position'), False),)

    def delete_blockers(self) -> dict[str, list[str]]:
        """What keeps this team from being deleted, by kind, as names."""
        blockers = {
            'teams': [t.name for t in Team.select(Team.name)
                      .where(Team.parent == self.id).order_by(Team.position, Team.id)],
            'caseworkers': [u.name for u in User.select(User.name)
                            .join(Caseworker).join(CaseworkerTeam)
                            .where(CaseworkerTeam.team == self.id).order_by(User.name)],
            'rooms': [r.name for r in Room.select(Room.name).join(RoomTeam)
                      .where(RoomTeam.team == self.id).order_by(Room.name)],
            'meetings': [str(m.id) for m in Meeting.select(Meeting.id)
                         .where(Meeting.team == self.id)],
        }
        return {kind: names for kind, names in blockers.items() if names}


class Competence(BaseModel):
    organisation = ForeignKeyField(Organisation, backref='competences', on_delete='CASCADE')
    name = CharField(max_length=120)

    class Meta:
        indexes = ((('organisation', 'name'), True),)


class Caseworker(BaseModel):
    """The Planner side of a caseworker's user account (name, email: on User,
    locked after creation)."""
    user = ForeignKeyField(User, unique=True, backref='caseworker_profile',
                           on_delete='CASCADE')
    organisation = ForeignKeyField(Organisation, backref='caseworkers', on_delete='CASCADE')
    initials = CharField(max_length=10, default='')
    work_phone = CharField(max_length=20, default='')
    can_be_summoned = BooleanField(default=True)
    comment = TextField(default='')      # admins only
    max_share = IntegerField(default=100)   # % of bookable time per day
    auto_share = IntegerField(default=100)  # % automatic distribution may fill
    # CalDAV collection of the caseworker's own calendar; blank: derived from
    # CALDAV_URL and the e-mail address (integrations.caldav).
    calendar_url = CharField(max_length=300, default='')
    # Secret of the private ICS feed URL (a capability: whoever has it reads it).
    feed_token = CharField(max_length=64, null=True, unique=True)

    def active_meetings(self, now: dt.datetime | None = None):
        """Booked meetings not over yet (one in progress counts too), with
        their type, earliest first: while any exist, no deleting."""
        now = now or utcnow()
        return (Meeting.select(Meeting, MeetingType).join(MeetingType)
                .where(Meeting.caseworker == self, Meeting.status == Meeting.BOOKED,
                       Meeting.ends_at > now)
                .order_by(Meeting.starts_at, Meeting.id))


class CaseworkerTeam(BaseModel):
    caseworker = ForeignKeyField(Caseworker, backref='team_links', on_delete='CASCADE')
    team = ForeignKeyField(Team, backref='caseworker_links', on_delete='RESTRICT')

    class Meta:
        indexes = ((('caseworker', 'team'), True),)


class CaseworkerCompetence(BaseModel):
    caseworker = ForeignKeyField(Caseworker, backref='competence_links', on_delete='CASCADE')
    competence = ForeignKeyField(Competence, backref='caseworker_links', on_delete='CASCADE')

    class Meta:
        indexes = ((('caseworker', 'competence'), True),)


class WorkingHours(BaseModel):
    """Bookable hours on one weekday (0 = Monday), local wall-clock time."""
    caseworker = ForeignKeyField(Caseworker, backref='working_hours', on_delete='CASCADE')
    weekday = IntegerField()
    start = TimeField()
    end = TimeField()

    class Meta:
        indexes = ((('caseworker', 'weekday'), True),)


class Pause(BaseModel):
    """A fixed weekly pause (at most four per weekday), local wall-clock time."""
    MAX_PER_DAY = 4

    caseworker = ForeignKeyField(Caseworker, backref='pauses', on_delete='CASCADE')
    weekday = IntegerField()
    start = TimeField()
    end = TimeField()
    label = CharField(max_length=60, default='')

    class Meta:
        indexes = ((('caseworker', 'weekday'), False),)


class Absence(BaseModel):
    caseworker = ForeignKeyField(Caseworker, backref='absences', on_delete='CASCADE')
    starts_at = DateTimeField()   # UTC
    ends_at = DateTimeField()     # UTC, exclusive
    reason = CharField(max_length=200, default='')
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((('caseworker', 'starts_at', 'ends_at'), False),)


class Room(BaseModel):
    organisation = ForeignKeyField(Organisation, backref='rooms', on_delete='CASCADE')
    name = CharField(max_length=120)
    capacity = IntegerField(null=True)        # None: unlimited
    allow_overbooking = BooleanField(default=False)
    extra_seats = IntegerField(default=0)
    address = CharField(max_length=200, default='')
    postcode = CharField(max_length=10, default='')
    city = CharField(max_length=80, default='')
    can_host = BooleanField(default=True)
    comment = TextField(default='')

    class Meta:
        indexes = ((('organisation', 'name'), True),)

    def active_meetings(self, now: dt.datetime | None = None):
        """Booked meetings in this room that have not ended yet."""
        return (Meeting.select().where(Meeting.room == self.id,
                                       Meeting.status == Meeting.BOOKED,
                                       Meeting.ends_at > (now or utcnow()))
                .order_by(Meeting.starts_at))

    def set_teams(self, teams) -> None:
        with db.atomic():
            RoomTeam.delete().where(RoomTeam.room == self.id).execute()
            if teams:
                RoomTeam.insert_many([{'room': self.id, 'team': t.id}
                                      for t in teams]).execute()

    def remove(self) -> bool:
        """Delete unless meetings are active; past and cancelled meetings keep
        their history without the room. False when refused."""
        with db.atomic():
            if self.active_meetings().exists():
                return False
            Meeting.update(room=None).where(Meeting.room == self.id).execute()
            self.delete_instance()
            return True


class RoomTeam(BaseModel):
    room = ForeignKeyField(Room, backref='team_links', on_delete='CASCADE')
    team = ForeignKeyField(Team, backref='room_links', on_delete='RESTRICT')

    class Meta:
        indexes = ((('room', 'team'), True),)


class ReservedTime(BaseModel):
    """Time kept for one purpose (scheduling/reserved.py): summons only or
    citizens' self-booking only, for a team or one caseworker, on a weekday
    and/or a date range, optionally a time of day (local wall-clock)."""
    SUMMONS, SELF_BOOKING = 'summons', 'self_booking'
    organisation = ForeignKeyField(Organisation, backref='reserved_times', on_delete='CASCADE')
    team = ForeignKeyField(Team, null=True, backref='reserved_times', on_delete='CASCADE')
    caseworker = ForeignKeyField(Caseworker, null=True, backref='reserved_times',
                                 on_delete='CASCADE')
    purpose = CharField(max_length=16)
    weekday = IntegerField(null=True)          # 0 = Monday; None: every day of the range
    first_day = DateField(null=True)
    last_day = DateField(null=True)
    start = TimeField(null=True)               # None: the whole day
    end = TimeField(null=True)

    class Meta:
        indexes = ((('organisation', 'team'), False), (('organisation', 'caseworker'), False))


class ClosingDay(BaseModel):
    """A local closing day for the whole organisation (team None) or one team."""
    organisation = ForeignKeyField(Organisation, backref='closing_days', on_delete='CASCADE')
    team = ForeignKeyField(Team, null=True, backref='closing_days', on_delete='CASCADE')
    date = DateField()
    name = CharField(max_length=120, default='')

    class Meta:
        indexes = ((('organisation', 'date'), False),)

    @classmethod
    def import_holidays(cls, organisation, year: int, *, more: bool = False):
        """Public holidays of the organisation's country (its own language's
        names) as organisation-wide closing days; a date that already has one
        is skipped. `more` adds the days most offices close too (DK: e.g.
        Grundlovsdag, Juleaftensdag; SE: e.g. Midsommarafton, Julafton).
        Returns (added, skipped) as lists of (date, name)."""
        import holidays
        categories = ('public',)
        if more:
            categories += {'DK': ('optional',), 'SE': ('de_facto',)}.get(
                organisation.country, ())
        options = {'include_sundays': False} if organisation.country == 'SE' else {}
        days = holidays.country_holidays(
            organisation.country, years=year, categories=categories,
            language={'DK': 'da', 'SE': 'sv'}.get(organisation.country), **options)
        added, skipped = [], []
        with db.atomic():
            present = {row.date for row in cls.select(cls.date).where(
                cls.organisation == organisation, cls.team.is_null(),
                cls.date.between(dt.date(year, 1, 1), dt.date(year, 12, 31)))}
            for date, name in sorted(days.items()):
                name = name[:120]
                if date in present:
                    skipped.append((date, name))
                    continue
                cls.create(organisation=organisation, team=None, date=date, name=name)
                added.append((date, name))
        return added, skipped


class PlanningRevision(BaseModel):
    """One row whose value the database's own triggers raise on every write
    to the tables of caseworkers' fixed availability (FIXED_AVAILABILITY_TABLES):
    a cache of those (planner.loading) keys on it, in any app process.
    Bookings write none of these tables, so they never wait for this row."""
    value = BigIntegerField(default=0)


# Written by staff now and then, read by every citizen's time page; the
# migration that adds PlanningRevision puts its triggers on these.
FIXED_AVAILABILITY_TABLES = ('working_hours', 'pause', 'absence', 'closing_day',
                             'reserved_time', 'caseworker_team')


@prepared
def _planning_revision(p):
    return PlanningRevision.select(PlanningRevision.value).where(PlanningRevision.id == 1)


def planning_revision() -> int:
    """The current revision of fixed availability (as this transaction sees it)."""
    return _planning_revision.rows()[0][0]


class MeetingType(BaseModel):
    """System list (seeded by a migration, locked): Jobsamtale and friends."""
    code = CharField(max_length=40, unique=True)
    name_da = CharField(max_length=80)
    name_en = CharField(max_length=80)
    name_sv = CharField(max_length=80)
    position = IntegerField(default=0)

    def label(self, language: str) -> str:
        return getattr(self, f'name_{language}', None) or self.name_en


class TypeVariant(BaseModel):
    """Keeps target groups apart on rebooking (team + type + variant)."""
    organisation = ForeignKeyField(Organisation, backref='type_variants', on_delete='CASCADE')
    name = CharField(max_length=120)

    class Meta:
        indexes = ((('organisation', 'name'), True),)

    def set_links(self, meeting_types, teams) -> None:
        """Replace the meeting types and teams the variant belongs to."""
        with db.atomic():
            TypeVariantMeetingType.delete().where(
                TypeVariantMeetingType.variant == self.id).execute()
            TypeVariantTeam.delete().where(TypeVariantTeam.variant == self.id).execute()
            if meeting_types:
                TypeVariantMeetingType.insert_many(
                    [{'variant': self.id, 'meeting_type': m.id}
                     for m in meeting_types]).execute()
            if teams:
                TypeVariantTeam.insert_many(
                    [{'variant': self.id, 'team': t.id} for t in teams]).execute()


class TypeVariantMeetingType(BaseModel):
    variant = ForeignKeyField(TypeVariant, backref='type_links', on_delete='CASCADE')
    meeting_type = ForeignKeyField(MeetingType, on_delete='RESTRICT')

    class Meta:
        indexes = ((('variant', 'meeting_type'), True),)


class TypeVariantTeam(BaseModel):
    variant = ForeignKeyField(TypeVariant, backref='team_links', on_delete='CASCADE')
    team = ForeignKeyField(Team, backref='variant_links', on_delete='CASCADE')

    class Meta:
        indexes = ((('variant', 'team'), True),)


class Meeting(BaseModel):
    """A booked meeting: individual (one citizen) or group (participants)."""
    BOOKED, CANCELLED, HELD = 'booked', 'cancelled', 'held'
    INDIVIDUAL, GROUP = 'individual', 'group'
    IN_PERSON, LETTER, OTHER, PHONE = 'in_person', 'letter', 'other', 'phone'

    organisation = ForeignKeyField(Organisation, backref='meetings', on_delete='CASCADE')
    team = ForeignKeyField(Team, backref='meetings', on_delete='RESTRICT')
    meeting_type = ForeignKeyField(MeetingType, on_delete='RESTRICT')
    variant = ForeignKeyField(TypeVariant, null=True, on_delete='SET NULL')
    caseworker = ForeignKeyField(Caseworker, null=True, backref='meetings',
                                 on_delete='RESTRICT')
    room = ForeignKeyField(Room, null=True, backref='meetings', on_delete='RESTRICT')
    form = CharField(max_length=12, default=INDIVIDUAL)
    attendance = CharField(max_length=12, default=IN_PERSON)
    starts_at = DateTimeField()            # UTC
    ends_at = DateTimeField()              # UTC, meeting end
    reporting_minutes = IntegerField(default=0)  # blocks the caseworker after ends_at
    status = CharField(max_length=12, default=BOOKED)
    note = TextField(default='')           # to the caseworker
    created_by = ForeignKeyField(User, null=True, on_delete='SET NULL',
                                 backref='meetings_created')
    created_at = DateTimeField(default=utcnow)
    # What the citizen may do, fixed when booked (later offer edits do not change it).
    offer = DeferredForeignKey('OnlineOffer', null=True, backref='meetings',
                               on_delete='SET NULL')
    citizen_can_cancel = BooleanField(default=False)
    citizen_can_rebook = BooleanField(default=False)
    rebook_days_before = IntegerField(default=1)
    show_caseworker = BooleanField(default=True)   # the citizen sees the name
    hold_by = DateField(null=True)                 # frist for afholdelse
    revision = IntegerField(default=0)             # .ics SEQUENCE: +1 per move
    summoned_at = DateTimeField(null=True)         # made by a summons (UTC)
    late = BooleanField(default=False)             # summoned after its hold-by date
    seats = IntegerField(null=True)                # group: seats offered to citizens
    rebooking_seats = IntegerField(default=0)      # group: seats kept for rebooking

    class Meta:
        indexes = ((('caseworker', 'starts_at'), False),
                   (('room', 'starts_at'), False),
                   (('organisation', 'starts_at'), False))

    @property
    def busy_until(self) -> dt.datetime:
        return self.ends_at + dt.timedelta(minutes=self.reporting_minutes)

    def place(self) -> str:
        """The room's address when it has one, else the team's (as the deck says)."""
        source = self.room if self.room_id and self.room.address else self.team
        return address_line(source)

    def caseworker_ids(self) -> list[int]:
        """Everyone holding the meeting: the lead caseworker first, then the
        others of a group meeting."""
        ids = [self.caseworker_id] if self.caseworker_id else []
        ids += [row.caseworker_id for row in
                MeetingCaseworker.select(MeetingCaseworker.caseworker)
                .where(MeetingCaseworker.meeting == self.id)
                .order_by(MeetingCaseworker.id)]
        return ids


def address_line(source) -> str:
    """'Jobvej 1, 8000 Aarhus C' of a team or room ('' when it has none)."""
    parts = [source.address, ' '.join(p for p in (source.postcode, source.city) if p)]
    return ', '.join(p for p in parts if p)


class MeetingCaseworker(BaseModel):
    """The other caseworkers of a group meeting (all of them attend every
    meeting); `Meeting.caseworker` is the first. Their time is as busy as
    the lead's (planning.caseworker_inputs)."""
    meeting = ForeignKeyField(Meeting, backref='staff_links', on_delete='CASCADE')
    caseworker = ForeignKeyField(Caseworker, backref='staff_meeting_links',
                                 on_delete='RESTRICT')

    class Meta:
        indexes = ((('meeting', 'caseworker'), True),)


class MeetingParticipant(BaseModel):
    BOOKED, CANCELLED = 'booked', 'cancelled'

    meeting = ForeignKeyField(Meeting, backref='participants', on_delete='CASCADE')
    citizen = ForeignKeyField(User, backref='meeting_links', on_delete='CASCADE')
    status = CharField(max_length=12, default=BOOKED)
    created_at = DateTimeField(default=utcnow)
    letter_printed_at = DateTimeField(null=True)   # letter attendance: summons printed
    # Summoned after the hold-by date: why (planner/late_proof.py, JSON).
    late_evidence = TextField(null=True)

    class Meta:
        indexes = ((('meeting', 'citizen'), True), (('citizen', 'status'), False))


class SummonsTemplate(BaseModel):
    """Preset step-1 fields of the summons wizard (JSON), optionally for online offers."""
    organisation = ForeignKeyField(Organisation, backref='summons_templates', on_delete='CASCADE')
    name = CharField(max_length=120)
    for_online_offer = BooleanField(default=False)
    fields = TextField(default='{}')

    class Meta:
        indexes = ((('organisation', 'name'), True),)

    # Keys of `fields` (all optional): meeting_type (a MeetingType code),
    # variant, team, room (ids), form, attendance (Meeting constants),
    # duration_minutes, reporting_minutes, rebooking_allowed (bool),
    # rebooking_days_before, note (to the caseworker).
    @property
    def preset(self) -> dict:
        import json
        try:
            value = json.loads(self.fields or '{}')
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}


# --- Pool: units, qualifications, availability, vacancies, requests --------

class PoolSettings(BaseModel):
    """A pool organisation's staffing settings (defaults until saved)."""
    organisation = ForeignKeyField(Organisation, unique=True, backref='pool_settings',
                                   on_delete='CASCADE')
    requests_per_wave = IntegerField(default=5)   # N: requests sent at once
    answer_minutes = IntegerField(default=60)     # default time to answer
    # When a request's time to answer runs out: the SMS its substitute gets
    # (EXPIRY_SMS), and whether the next wave goes out by itself when a
    # vacancy has no open request left (else it is unfilled for the planner).
    EXPIRY_SMS = ('none', 'expired', 'not_needed')
    expiry_sms = CharField(max_length=12, default='expired')
    next_wave_on_expiry = BooleanField(default=False)

    @classmethod
    def of(cls, organisation) -> 'PoolSettings':
        found = cls.get_or_none(cls.organisation == organisation)
        return found or cls(organisation=organisation)


class Unit(TreeMixin, BaseModel):
    """A place substitutes work (a ward, a home); a tree ordered by `position`."""
    organisation = ForeignKeyField(Organisation, backref='units', on_delete='CASCADE')
    parent = ForeignKeyField('self', null=True, backref='children', on_delete='RESTRICT')
    position = IntegerField(default=0)
    name = CharField(max_length=120)
    address = CharField(max_length=200, default='')
    postcode = CharField(max_length=10, default='')
    city = CharField(max_length=80, default='')
    phone = CharField(max_length=20, default='')

    class Meta:
        indexes = ((('organisation', 'parent', 'position'), False),)

    @property
    def full_address(self) -> str:
        place = ' '.join(p for p in (self.postcode, self.city) if p)
        return ', '.join(p for p in (self.address, place) if p)

    def delete_blockers(self) -> dict[str, list[str]]:
        """What keeps this unit from being deleted: sub-units and vacancies."""
        blockers = {
            'units': [u.name for u in Unit.select(Unit.name)
                      .where(Unit.parent == self.id).order_by(Unit.position, Unit.id)],
            'vacancies': [str(v.id) for v in Vacancy.select(Vacancy.id)
                          .where(Vacancy.unit == self.id)],
        }
        return {kind: names for kind, names in blockers.items() if names}


class Qualification(BaseModel):
    """E.g. medication delegation, driving licence."""
    organisation = ForeignKeyField(Organisation, backref='qualifications', on_delete='CASCADE')
    name = CharField(max_length=120)

    class Meta:
        indexes = ((('organisation', 'name'), True),)


class SubstituteUnit(BaseModel):
    """A substitute is trained at (inskolad vid) a unit."""
    user = ForeignKeyField(User, backref='unit_links', on_delete='CASCADE')
    unit = ForeignKeyField(Unit, backref='substitute_links', on_delete='CASCADE')

    class Meta:
        indexes = ((('user', 'unit'), True),)


class SubstituteQualification(BaseModel):
    user = ForeignKeyField(User, backref='qualification_links', on_delete='CASCADE')
    qualification = ForeignKeyField(Qualification, backref='substitute_links',
                                    on_delete='CASCADE')

    class Meta:
        indexes = ((('user', 'qualification'), True),)


class Availability(BaseModel):
    """A time a substitute can work, as they registered it (UTC instants)."""
    user = ForeignKeyField(User, backref='availability', on_delete='CASCADE')
    starts_at = DateTimeField()   # UTC
    ends_at = DateTimeField()     # UTC, exclusive
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((('user', 'starts_at'), False),)


class Vacancy(BaseModel):
    """A vacant shift at a unit and, once booked, the substitute holding it."""
    OPEN, REQUESTED, BOOKED, CANCELLED, UNFILLED = (
        'open', 'requested', 'booked', 'cancelled', 'unfilled')
    STATUSES = (OPEN, REQUESTED, BOOKED, CANCELLED, UNFILLED)
    FILLABLE = (OPEN, REQUESTED, UNFILLED)
    DIRECT, REQUEST, CALL = 'direct', 'request', 'call'   # how it was booked

    organisation = ForeignKeyField(Organisation, backref='vacancies', on_delete='CASCADE')
    unit = ForeignKeyField(Unit, backref='vacancies', on_delete='RESTRICT')
    starts_at = DateTimeField()   # UTC
    ends_at = DateTimeField()     # UTC, exclusive; may be the next local day
    note = TextField(default='')
    status = CharField(max_length=12, default=OPEN)
    substitute = ForeignKeyField(User, null=True, backref='shifts', on_delete='SET NULL')
    booked_at = DateTimeField(null=True)
    booked_via = CharField(max_length=8, default='')
    answer_deadline = DateTimeField(null=True)   # of the latest request wave
    waves = IntegerField(default=0)
    created_by = ForeignKeyField(User, null=True, backref='vacancies_created',
                                 on_delete='SET NULL')
    created_at = DateTimeField(default=utcnow)
    cancelled_at = DateTimeField(null=True)

    class Meta:
        indexes = ((('organisation', 'starts_at'), False),
                   (('organisation', 'status'), False),
                   (('substitute', 'starts_at'), False))


class VacancyQualification(BaseModel):
    vacancy = ForeignKeyField(Vacancy, backref='qualification_links', on_delete='CASCADE')
    qualification = ForeignKeyField(Qualification, backref='vacancy_links',
                                    on_delete='CASCADE')

    class Meta:
        indexes = ((('vacancy', 'qualification'), True),)


class ShiftRequest(BaseModel):
    """A förfrågan: one substitute asked by SMS (and on the web) for a shift."""
    OPEN = 'open'              # waiting for Ja / Nej
    ACCEPTED = 'accepted'      # said yes and got the shift
    DECLINED = 'declined'      # said no
    LOST = 'lost'              # said yes, but someone else got it first
    WITHDRAWN = 'withdrawn'    # the shift was filled or stopped before an answer
    EXPIRED = 'expired'        # no answer before the deadline
    STATUSES = (OPEN, ACCEPTED, DECLINED, LOST, WITHDRAWN, EXPIRED)

    vacancy = ForeignKeyField(Vacancy, backref='requests', on_delete='CASCADE')
    user = ForeignKeyField(User, backref='shift_requests', on_delete='CASCADE')
    wave = IntegerField(default=1)
    code = CharField(max_length=8)             # "Ja 4821" picks this request
    status = CharField(max_length=12, default=OPEN)
    sent_at = DateTimeField(default=utcnow)
    deadline = DateTimeField()
    answered_at = DateTimeField(null=True)
    answered_via = CharField(max_length=8, default='')   # 'sms' or 'web'
    message = ForeignKeyField(Message, null=True, on_delete='SET NULL')

    class Meta:
        indexes = ((('vacancy', 'user'), True), (('user', 'status'), False),
                   (('user', 'sent_at'), False))


class CallOutcome(BaseModel):
    """The result of a planner's phone call from the call list."""
    NO_ANSWER, DECLINED, ACCEPTED = 'no_answer', 'declined', 'accepted'
    OUTCOMES = (NO_ANSWER, DECLINED, ACCEPTED)

    vacancy = ForeignKeyField(Vacancy, backref='calls', on_delete='CASCADE')
    user = ForeignKeyField(User, backref='calls_received', on_delete='CASCADE')
    outcome = CharField(max_length=12)
    called_by = ForeignKeyField(User, null=True, backref='calls_made', on_delete='SET NULL')
    at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((('vacancy', 'at'), False), (('user', 'at'), False))


# --- Planner: online offers and citizens' self-booking --------------------

class CitizenProfile(BaseModel):
    """What target-group rules read about a citizen (from the case system):
    contact group, person-group markings and, for the control model, the
    caseworker assigned. Age comes from the CPR number."""
    user = ForeignKeyField(User, unique=True, backref='citizen_profiles', on_delete='CASCADE')
    organisation = ForeignKeyField(Organisation, backref='citizen_profiles',
                                   on_delete='CASCADE')
    contact_group = CharField(max_length=40, default='')
    markings = TextField(default='')    # person-group markings, one per line
    caseworker = ForeignKeyField(Caseworker, null=True, backref='assigned_citizens',
                                 on_delete='SET NULL')
    # From the CPR register: blank while the CPR number is active, else why
    # not ('emigrated' may still be summoned, any other reason may not).
    cpr_inactive_reason = CharField(max_length=40, default='')
    due_date = DateField(null=True)     # falddato: Friday of the due week
    # Postal address (from the CPR register): where a summons letter goes.
    address = CharField(max_length=200, default='')
    postcode = CharField(max_length=10, default='')
    city = CharField(max_length=80, default='')


class OnlineOffer(BaseModel):
    """Times citizens may book themselves (online tilbud). A draft until the
    wizard's second step completes it; then it gets the next number."""
    TEAM_MODEL, TRUST_MODEL, CONTROL_MODEL = 'team', 'trust', 'control'
    MODELS = (TEAM_MODEL, TRUST_MODEL, CONTROL_MODEL)

    organisation = ForeignKeyField(Organisation, backref='online_offers', on_delete='CASCADE')
    number = IntegerField(null=True)    # sequential per organisation; None: draft
    team = ForeignKeyField(Team, backref='online_offers', on_delete='CASCADE')
    meeting_type = ForeignKeyField(MeetingType, on_delete='RESTRICT')
    variant = ForeignKeyField(TypeVariant, null=True, on_delete='SET NULL')
    duration_minutes = IntegerField(default=45)
    reporting_minutes = IntegerField(default=0)
    note = TextField(default='')        # to the caseworker
    model = CharField(max_length=8, default=TEAM_MODEL)
    title = CharField(max_length=200, default='')
    active = BooleanField(default=False)
    description = TextField(default='')
    show_caseworker = BooleanField(default=True)
    bookable_from = DateField(null=True)     # first date citizens see it
    earliest_meeting = DateField(null=True)  # first meeting date
    end_date = DateField(null=True)          # last date, included
    allow_cancel = BooleanField(default=True)
    allow_rebook = BooleanField(default=True)
    rebook_days_before = IntegerField(default=1)
    rules = TextField(default='')            # scheduling.rules.RuleSet as JSON
    created_by = ForeignKeyField(User, null=True, on_delete='SET NULL',
                                 backref='offers_created')
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((('organisation', 'number'), True),)

    @property
    def is_draft(self) -> bool:
        return self.number is None


class OfferCaseworker(BaseModel):
    offer = ForeignKeyField(OnlineOffer, backref='caseworker_links', on_delete='CASCADE')
    caseworker = ForeignKeyField(Caseworker, backref='offer_links', on_delete='CASCADE')

    class Meta:
        indexes = ((('offer', 'caseworker'), True),)


class CitizenAbsence(BaseModel):
    """A registered absence of a citizen (holiday), local dates inclusive."""
    citizen = ForeignKeyField(User, backref='citizen_absences', on_delete='CASCADE')
    first_day = DateField()
    last_day = DateField()
    reason = CharField(max_length=200, default='')

    class Meta:
        indexes = ((('citizen', 'first_day'), False),)


# --- Planner: summons, pending list, calendar sync -----------------------------

class SummonsDraft(BaseModel):
    """A summons wizard in progress: step 1's frame and step 2's settings
    as JSON (summons.SummonsFrame), the citizens as rows."""
    organisation = ForeignKeyField(Organisation, backref='summons_drafts', on_delete='CASCADE')
    created_by = ForeignKeyField(User, backref='summons_drafts', on_delete='CASCADE')
    frame = TextField(default='{}')
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)


class SummonsDraftCitizen(BaseModel):
    """One citizen on a draft, with step 2's dates and step 3's proposal."""
    draft = ForeignKeyField(SummonsDraft, backref='citizens', on_delete='CASCADE')
    citizen = ForeignKeyField(User, on_delete='CASCADE')
    position = IntegerField(default=0)           # order added
    selected = BooleanField(default=True)
    earliest = DateField(null=True)              # earliest summons date
    due_date = DateField(null=True)              # falddato, from the list
    deadline = DateField(null=True)              # hold-by date
    deadline_by_hand = BooleanField(default=False)
    pending = DeferredForeignKey('PendingSummons', null=True, on_delete='SET NULL')
    # Step 3: the proposed meeting (aware times stored as naive UTC).
    proposed_start = DateTimeField(null=True)
    proposed_caseworker = ForeignKeyField(Caseworker, null=True, on_delete='SET NULL')
    proposed_group = IntegerField(null=True)     # same number: same group meeting
    late = BooleanField(default=False)
    problem = CharField(max_length=300, default='')
    in_review = BooleanField(default=True)       # ticked on step 3

    class Meta:
        indexes = ((('draft', 'citizen'), True),)


class PendingSummons(BaseModel):
    """A citizen still to be summoned (afventerliste): unticked on step 3,
    or a summons that failed. Keeps the frame it was meant for."""
    UNTICKED, FAILED, NO_TIME = 'unticked', 'failed', 'no_time'

    organisation = ForeignKeyField(Organisation, backref='pending_summons', on_delete='CASCADE')
    citizen = ForeignKeyField(User, backref='pending_summons', on_delete='CASCADE')
    team = ForeignKeyField(Team, null=True, on_delete='SET NULL')
    meeting_type = ForeignKeyField(MeetingType, null=True, on_delete='SET NULL')
    frame = TextField(default='{}')
    earliest = DateField(null=True)
    deadline = DateField(null=True)
    reason = CharField(max_length=12, default=UNTICKED)
    error = TextField(default='')
    created_by = ForeignKeyField(User, null=True, on_delete='SET NULL',
                                 backref='pending_summons_created')
    created_at = DateTimeField(default=utcnow, index=True)


class CalendarSync(OutboxMixin):
    """One meeting in one caseworker's calendar: an outbox row (rule 4).

    `wanted_revision` is what the calendar should show (the meeting's
    revision; -1: removed); `synced_revision` what it last accepted. The
    event UID is stable, so a retried sync overwrites instead of adding."""
    SYNCED = 'synced'   # with the outbox's QUEUED, SENDING and FAILED
    REMOVED = -1
    MAX_ATTEMPTS = 6
    STALLED = 'Stalled while syncing; it may or may not have reached the calendar'

    meeting = ForeignKeyField(Meeting, backref='calendar_syncs', on_delete='CASCADE')
    caseworker = ForeignKeyField(Caseworker, backref='calendar_syncs', on_delete='CASCADE')
    status = CharField(max_length=12, default=OutboxMixin.QUEUED, index=True)
    wanted_revision = IntegerField(default=0)
    synced_revision = IntegerField(null=True)
    # The calendar the event was last put in ('' none): when the caseworker's
    # calendar address changes, the event is taken out of the old one.
    synced_url = CharField(max_length=300, default='')

    class Meta:
        indexes = ((('meeting', 'caseworker'), True),
                   (('status', 'next_attempt_at'), False))


ALL_MODELS = [Organisation, User, UserSession, OneTimeCode, TrustedDevice,
              Message, AuditEvent, Team, Competence, Caseworker, CaseworkerTeam,
              CaseworkerCompetence, WorkingHours, Pause, Absence, Room, RoomTeam,
              ClosingDay, MeetingType, TypeVariant, TypeVariantMeetingType,
              TypeVariantTeam, Meeting, MeetingParticipant, SummonsTemplate,
              PoolSettings, Unit, Qualification, SubstituteUnit, SubstituteQualification,
              Availability, Vacancy, VacancyQualification, ShiftRequest, CallOutcome,
              CitizenProfile, OnlineOffer, OfferCaseworker, MeetingCaseworker,
              CitizenAbsence, SummonsDraft, SummonsDraftCitizen, PendingSummons,
              CalendarSync, ReservedTime, PlanningRevision]


def text_contains(column, text: str):
    """Searches: `column` holds `text`, any case, with `%`, `_` and `\\`
    taken literally (peewee's contains() escapes them; a pattern built by
    hand and matched with `**` would take them as wildcards)."""
    return fn.LOWER(column).contains(text.lower())


def count_by(query, field):
    """{value: count} for a query grouped by one field."""
    return {row[0]: row[1] for row in
            query.select(field, fn.COUNT(query.model.id)).group_by(field).tuples()}


# --- bulk writes --------------------------------------------------------------
# A summons of thousands of citizens writes ~10 rows each. peewee builds a
# node for every value of a query, which takes longer than the database needs
# to store the rows; so peewee builds each statement once, with numbered
# placeholders, and it runs for every chunk (insert) or row (update) with the
# values converted by their fields. Statements are kept per database kind.

def _placeholder(position: int) -> Value:
    # converter=False: peewee passes the number through untouched, so the
    # statement's parameters show where each value goes.
    return Value(position, converter=False)


@functools.lru_cache(maxsize=256)
def _insert_statement(model, names: tuple[str, ...], count: int, returning: bool,
                      dialect: type) -> str:
    """INSERT of `count` rows of the fields `names`, values row after row."""
    fields = [model._meta.fields[name] for name in names]
    width = len(fields)
    query = model.insert_many([[_placeholder(row * width + i) for i in range(width)]
                               for row in range(count)], fields=fields)
    if returning:
        query = query.returning(model._meta.primary_key)
    sql, params = query.sql()
    if params != list(range(count * width)):   # a column peewee added or moved
        raise RuntimeError(f'{model.__name__}: the INSERT does not take the values as given')
    return sql


@functools.lru_cache(maxsize=64)
def _update_statement(model, names: tuple[str, ...], dialect: type) -> tuple[str, tuple[int, ...]]:
    """UPDATE of the fields `names` of one row by id, and where each of
    (value, ..., id) goes in its parameters (peewee orders the SET list)."""
    fields = [model._meta.fields[name] for name in names]
    query = (model.update({field: _placeholder(i) for i, field in enumerate(fields)})
             .where(model._meta.primary_key == _placeholder(len(fields))))
    sql, order = query.sql()
    if sorted(order) != list(range(len(fields) + 1)):
        raise RuntimeError(f'{model.__name__}: the UPDATE does not take the values as given')
    return sql, tuple(order)


def transaction():
    """The caller's transaction when there is one, else a new one. No
    savepoint inside a transaction: a failed write aborts the whole of it
    anyway, and a savepoint costs two round trips (which a booking would
    pay while holding its locks)."""
    return nullcontext() if db.in_transaction() else db.atomic()


def insert_rows(model, rows: list[dict], *, returning: bool = True,
                batch: int = 100) -> list[int]:
    """Many rows in multi-row INSERTs. Every row has the same keys (field
    names); fields left out get their defaults. Returns the new ids in
    insertion order (ids grow within one statement on both databases, so
    sorting restores the order)."""
    if not rows:
        return []
    given = list(rows[0])
    defaults = [(f.name, f.default) for f in model._meta.sorted_fields
                if f.name not in given and not f.primary_key and f.default is not None]
    names = tuple(given + [name for name, _default in defaults])
    convert = [model._meta.fields[name].db_value for name in names]
    ids: list[int] = []
    with transaction():
        for start in range(0, len(rows), batch):
            part = rows[start:start + batch]
            params = []
            for row in part:
                values = [row[name] for name in given]
                values += [d() if callable(d) else d for _name, d in defaults]
                params += [to_db(value) for to_db, value in zip(convert, values)]
            sql = _insert_statement(model, names, len(part), returning, type(db.obj))
            cursor = db.execute_sql(sql, params)
            if returning:
                ids += sorted(row[0] for row in cursor.fetchall())
    return ids


def update_rows(model, field_names: list[str], rows: list[tuple]) -> None:
    """UPDATE many rows by id: each row is (id, value, ...) in `field_names`
    order; one prepared statement run for every row."""
    if not rows:
        return
    convert = [model._meta.fields[name].db_value for name in field_names]
    sql, order = _update_statement(model, tuple(field_names), type(db.obj))
    params = []
    for row in rows:
        values = [to_db(value) for to_db, value in zip(convert, row[1:])] + [row[0]]
        params.append([values[i] for i in order])
    with db.atomic():
        db.cursor().executemany(sql, params)
