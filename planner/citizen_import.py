"""Lists of citizens for a summons (step 2 of the wizard): pasted from a
spreadsheet, or an uploaded .csv or .xlsx.

A table needs a header row with a CPR column ("Personnr.", "Person-nr.",
"CPR-nr.", "Personnummer"); an optional due-date column ("Falddato") gives
each citizen's due date, moved to the Friday of its week. Optional postal
address columns ("Adresse", "Postnr.", "By"; in Swedish "Adress",
"Postnummer", "Ort") give the address the summons letters are posted to:
read only when asked (`read_addresses`, an administrator's list), saved by
`save_addresses`; an empty cell keeps the address already saved. Pasted text
without such a header is read as one citizen a line: the first CPR-looking
token of each line.

Every CPR number is validated and looked up among the organisation's
citizens in one query. Problems are reported per line with the CPR masked;
the full number never leaves this module.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field

from flask_babel import gettext as _
from peewee import JOIN

from common.validators import normalise_cpr
from models import AuditEvent, CitizenProfile, User, insert_rows, mask_cpr, transaction

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
HEADER_SEARCH_ROWS = 20          # a title or blank rows may sit above the header
EMIGRATED = 'emigrated'          # the one inactive reason that may still be summoned

CPR_HEADERS = {'personnr', 'personnummer', 'cpr', 'cprnr', 'cprnummer'}
DUE_HEADERS = {'falddato', 'faldato', 'falddag', 'duedate', 'forfaldsdato'}
# Postal address columns: Danish, Swedish and English spellings.
STREET_HEADERS = {'adresse', 'gadeadresse', 'vejognummer', 'adress', 'gatuadress',
                  'utdelningsadress', 'address', 'street'}
POSTCODE_HEADERS = {'postnr', 'postnummer', 'postcode', 'postalcode', 'zip', 'zipcode'}
TOWN_HEADERS = {'by', 'bynavn', 'postdistrikt', 'ort', 'postort', 'town', 'city'}
# The address page's limits are the model's.
STREET_MAX = CitizenProfile.address.max_length
POSTCODE_MAX = CitizenProfile.postcode.max_length
TOWN_MAX = CitizenProfile.city.max_length
ADDRESS_CHANGED = 'citizen_address_changed'    # audited here and on the address page

# A CPR-looking token: 6 digits (DDMMYY), optional dash or space, 4 digits;
# or a Swedish personnummer with the century (8 + 4 digits, - or +).
_CPR_TOKEN = re.compile(r'(?<![\d+])(\d{8}[-+]?\d{4}|\d{6}[-+ ]?\d{4})(?!\d)')
# Digits that look meant as a CPR number but are not one (too short, too long,
# or a leading zero lost in a spreadsheet).
_CPR_ATTEMPT = re.compile(r'(?<![\d+])\d{6}[-+ ]?\d{1,6}(?!\d)')
_DATE_FORMATS = ('%Y-%m-%d', '%d-%m-%Y', '%d.%m.%Y', '%d/%m/%Y')


@dataclass
class ImportEntry:
    line: int
    user: User
    due_date: dt.date | None = None
    # A complete, valid (street, postcode, town) from the list; None: keep.
    address: tuple[str, str, str] | None = None


@dataclass
class ImportProblem:
    line: int
    masked_cpr: str
    message: str
    kind: str = ''    # malformed / unknown / duplicate / inactive / no_cpr / due_date / address


@dataclass
class ImportResult:
    entries: list[ImportEntry] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    inactive: list[tuple[str, str]] = field(default_factory=list)   # (name, masked CPR)
    error: str = ''
    addresses_not_read: int = 0    # rows with an address, not asked to read them

    @property
    def ok(self) -> bool:
        return not self.error


@dataclass
class _Row:
    line: int
    cpr_text: str
    due_text: object = None   # str, date, datetime or None
    address: tuple[str, str, str] = ('', '', '')   # street, postcode, town as given


@dataclass
class _Header:
    """The header row (its index in the rows) and the columns it names."""
    index: int
    cpr: int
    due: int | None = None
    street: int | None = None
    postcode: int | None = None
    town: int | None = None


class _Refused(Exception):
    """The whole input is refused (with a message for the user)."""


# --- public -------------------------------------------------------------------

def parse_citizen_list(organisation, *, text: str | None = None, filename: str | None = None,
                       data: bytes | None = None, read_addresses: bool = False) -> ImportResult:
    """Read a pasted list (`text`) or an uploaded file (`filename`, `data`).
    With `read_addresses`, each row's postal address is checked and kept on
    its entry for `save_addresses`; without, rows that have one are counted."""
    try:
        if data is not None or filename:
            rows = _file_rows(filename or '', data or b'')
        else:
            rows = _text_rows(text or '')
    except _Refused as refused:
        return ImportResult(error=str(refused))
    if not rows:
        return ImportResult(error=_('The list has no CPR numbers.'))
    return _resolve(organisation, rows, read_addresses)


def lookup_one(organisation, cpr_text: str) -> tuple[User | None, str]:
    """One citizen by CPR number ("add one citizen"): (citizen, '') or
    (None, why not)."""
    cpr = normalise_cpr(cpr_text or '')
    if cpr is None:
        return None, _('That is not a valid CPR number.')
    user = _citizens(organisation).where(User.cpr == cpr).first()
    if user is None:
        return None, _('No citizen with CPR number %(cpr)s is known.', cpr=mask_cpr(cpr))
    reason = _inactive_reason(user)
    if reason:
        return None, _('%(name)s (%(cpr)s) cannot be summoned: the CPR number is inactive '
                       '(%(reason)s).', name=user.name, cpr=mask_cpr(cpr), reason=reason)
    return user, ''


def friday_of(day: dt.date) -> dt.date:
    """The Friday of the (Monday to Sunday) week of `day`."""
    return day + dt.timedelta(days=4 - day.weekday())


# --- reading ------------------------------------------------------------------

def _key(header) -> str:
    text = str(header or '').strip().lower()
    return re.sub(r'[\s.\-_:]', '', text)


def _find_header(rows: list[tuple[int, list]]) -> _Header | None:
    """The header row: the first (of the top rows) with a CPR column."""
    for index, (_line, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        keys = [_key(c) for c in cells]
        cpr_col = _column(keys, CPR_HEADERS)
        if cpr_col is None:
            continue
        return _Header(index, cpr_col, due=_column(keys, DUE_HEADERS),
                       street=_column(keys, STREET_HEADERS),
                       postcode=_column(keys, POSTCODE_HEADERS),
                       town=_column(keys, TOWN_HEADERS))
    return None


def _column(keys: list[str], names: set[str]) -> int | None:
    return next((i for i, k in enumerate(keys) if k in names), None)


def _cell(cells: list, col: int | None):
    return cells[col] if col is not None and col < len(cells) else None


def _table(rows: list[tuple[int, list]], header: _Header) -> list[_Row]:
    out = []
    for line, cells in rows[header.index + 1:]:
        if not any(_cell_text(c) for c in cells):
            continue   # blank row
        address = tuple(_address_text(_cell(cells, col))
                        for col in (header.street, header.postcode, header.town))
        out.append(_Row(line, _nine_digits(_cell_text(_cell(cells, header.cpr))),
                        _cell(cells, header.due), address))
        if len(out) > MAX_ROWS:
            raise _Refused(_too_many())
    return out


def _address_text(value) -> str:
    """An address cell as one line (a line break inside a cell would break the
    envelope window's layout)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)    # a postcode kept as a number
    return ' '.join(str(value).split()) if value is not None else ''


def _too_many() -> str:
    return _('The list has more than %(max)d rows. Split it into smaller lists.',
             max=MAX_ROWS)


def _cell_text(value) -> str:
    if value is None:
        return ''
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        # A CPR typed into a spreadsheet as a number loses its leading zero.
        return _nine_digits(str(value))
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value).strip()


def _nine_digits(text: str) -> str:
    """A CPR number kept as a number in a spreadsheet loses its leading zero
    (010190-1234 becomes 101901234): put it back."""
    return text.zfill(10) if len(text) == 9 and text.isdigit() else text


def _split(text: str, delimiter: str) -> list[tuple[int, list]]:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        return [(n, cells) for n, cells in enumerate(reader, start=1)]
    except csv.Error:
        return []


def _text_rows(text: str) -> list[_Row]:
    if len(text.encode('utf-8', 'replace')) > MAX_BYTES:
        raise _Refused(_('The list is too large (more than 2 MB).'))
    text = text.lstrip('\ufeff')
    for delimiter in ('\t', ';', ','):
        rows = _split(text, delimiter)
        header = _find_header(rows)
        if header is not None:
            return _table(rows, header)
    # No header: one citizen a line, the first CPR-looking token.
    out = []
    for line, raw in enumerate(text.splitlines(), start=1):
        raw = raw.strip()
        if not raw:
            continue
        match = _CPR_TOKEN.search(raw) or _CPR_ATTEMPT.search(raw)
        out.append(_Row(line, _nine_digits(match.group(0)) if match else ''))
        if len(out) > MAX_ROWS:
            raise _Refused(_too_many())
    return out


def _file_rows(filename: str, data: bytes) -> list[_Row]:
    name = filename.lower().strip()
    if len(data) > MAX_BYTES:
        raise _Refused(_('The file is too large (more than 2 MB).'))
    if not data:
        raise _Refused(_('The file is empty.'))
    if name.endswith('.xlsx'):
        rows = _xlsx_rows(data)
    elif name.endswith(('.csv', '.txt')):
        rows = _csv_rows(data)
    elif name.endswith('.xls'):
        raise _Refused(_('Old Excel files (.xls) cannot be read. Save the sheet as .xlsx '
                         'or .csv and try again.'))
    else:
        raise _Refused(_('The file is not a spreadsheet. Upload an .xlsx or .csv file.'))
    header = _find_header(rows)
    if header is None:
        raise _Refused(_('No column headed "Personnr." was found. The first row of the '
                         'list must name the CPR column "Personnr." (or "CPR-nr.").'))
    return _table(rows, header)


def _csv_rows(data: bytes) -> list[tuple[int, list]]:
    if b'\x00' in data or data.startswith(b'PK\x03\x04'):
        raise _Refused(_('The file is not a CSV file. Upload an .xlsx or .csv file.'))
    try:
        text = data.decode('utf-8-sig')
    except UnicodeDecodeError:
        try:
            text = data.decode('cp1252')
        except UnicodeDecodeError:
            raise _Refused(_('The file could not be read as text (UTF-8 or Windows-1252).'))
    best = []
    for delimiter in (';', ',', '\t'):
        rows = _split(text, delimiter)
        if _find_header(rows) is not None:
            return rows
        best = best or rows
    return best


def _xlsx_rows(data: bytes) -> list[tuple[int, list]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError,
            TypeError, IndexError):
        raise _Refused(_('The file could not be read as an Excel workbook (.xlsx).'))
    try:
        if not workbook.worksheets:
            raise _Refused(_('The workbook has no sheets.'))
        sheet = workbook.worksheets[0]
        rows, filled = [], 0
        for line, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = list(values)
            if not any(_cell_text(c) for c in cells):
                continue
            rows.append((line, cells))
            filled += 1
            if filled > MAX_ROWS + HEADER_SEARCH_ROWS:
                raise _Refused(_too_many())
        return rows
    except _Refused:
        raise
    except Exception:   # a damaged sheet inside a valid zip
        raise _Refused(_('The file could not be read as an Excel workbook (.xlsx).'))
    finally:
        workbook.close()


def parse_due_date(value) -> dt.date | None:
    """A date cell or 'YYYY-MM-DD', 'DD-MM-YYYY', 'DD.MM.YYYY', 'DD/MM/YYYY';
    None when unreadable."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value or '').strip()
    # An ISO date may carry a midnight time from an export.
    text = re.sub(r'^(\d{4}-\d{2}-\d{2})[ T]00:00(:00)?$', r'\1', text)
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


# --- checking -----------------------------------------------------------------

def _inactive_reason(user: User) -> str:
    """The CPR register's reason when it keeps this citizen from a summons."""
    profile = getattr(user, 'profile', None)
    reason = (getattr(profile, 'cpr_inactive_reason', '') or '').strip()
    if not reason or reason.lower() == EMIGRATED:
        return ''
    return reason


def _citizens(organisation):
    """The organisation's citizens, each with their profile (as `profile`)."""
    return (User.select(User, CitizenProfile)
            .join(CitizenProfile, on=(CitizenProfile.user == User.id), join_type=JOIN.LEFT_OUTER,
                  attr='profile')
            .where(User.organisation == organisation, User.role == User.CITIZEN))


def _resolve(organisation, rows: list[_Row], read_addresses: bool) -> ImportResult:
    result = ImportResult()
    wanted = _valid_rows(rows, result.problems)
    # One query for the whole list.
    known = {}
    if wanted:
        query = _citizens(organisation).where(User.cpr.in_([cpr for _row, cpr in wanted]))
        known = {user.cpr: user for user in query}
    for row, cpr in wanted:
        entry = _add_citizen(result, row, cpr, known.get(cpr))
        if entry is None or not any(row.address):
            continue
        if read_addresses:
            entry.address = _row_address(row, mask_cpr(cpr), result.problems)
        else:
            result.addresses_not_read += 1
    return result


def _valid_rows(rows: list[_Row], problems: list[ImportProblem]) -> list[tuple[_Row, str]]:
    """(row, CPR number) of each valid CPR number's first line; a line
    without one, with an invalid one or with one seen before is a problem."""
    wanted: list[tuple[_Row, str]] = []
    first_line: dict[str, int] = {}
    for row in rows:
        if not any(c.isdigit() for c in row.cpr_text):
            problems.append(ImportProblem(
                row.line, '', _('Line %(line)d: no CPR number; the line is skipped.',
                                line=row.line), 'no_cpr'))
            continue
        cpr = normalise_cpr(row.cpr_text)
        if cpr is None:
            masked = mask_cpr(row.cpr_text)
            problems.append(ImportProblem(
                row.line, masked,
                _('Line %(line)d: %(cpr)s is not a valid CPR number (check the date and '
                  'the digits).', line=row.line, cpr=masked),
                'malformed'))
            continue
        if cpr in first_line:
            problems.append(ImportProblem(
                row.line, mask_cpr(cpr),
                _('Line %(line)d: %(cpr)s is already on line %(first)d; it is added once.',
                  line=row.line, cpr=mask_cpr(cpr), first=first_line[cpr]), 'duplicate'))
            continue
        first_line[cpr] = row.line
        wanted.append((row, cpr))
    return wanted


def _add_citizen(result: ImportResult, row: _Row, cpr: str,
                 user: User | None) -> ImportEntry | None:
    """An entry for a known citizen who may be summoned; else a problem."""
    masked = mask_cpr(cpr)
    if user is None:
        result.problems.append(ImportProblem(
            row.line, masked,
            _('Line %(line)d: no citizen with CPR number %(cpr)s is known.',
              line=row.line, cpr=masked), 'unknown'))
        return None
    reason = _inactive_reason(user)
    if reason:
        result.inactive.append((user.name, masked))
        result.problems.append(ImportProblem(
            row.line, masked,
            _('Line %(line)d: %(name)s (%(cpr)s) cannot be summoned: the CPR number is '
              'inactive (%(reason)s).', line=row.line, name=user.name, cpr=masked,
              reason=reason), 'inactive'))
        return None
    entry = ImportEntry(row.line, user, _due_friday(row, masked, result.problems))
    result.entries.append(entry)
    return entry


def _due_friday(row: _Row, masked: str, problems: list[ImportProblem]) -> dt.date | None:
    """The Friday of the row's due date; None without one, or when it cannot
    be read (a problem, but the citizen is still added)."""
    if row.due_text in (None, ''):
        return None
    due = parse_due_date(row.due_text)
    if due is None:
        problems.append(ImportProblem(
            row.line, masked,
            _('Line %(line)d: the due date "%(value)s" of %(cpr)s could not be read '
              '(use e.g. 2025-03-14 or 14-03-2025); the citizen is added without '
              'a due date.', line=row.line, value=str(row.due_text)[:30], cpr=masked),
            'due_date'))
        return None
    return friday_of(due)


def _row_address(row: _Row, masked: str,
                 problems: list[ImportProblem]) -> tuple[str, str, str] | None:
    """The row's postal address when it is complete and fits the address
    page's limits; else None and a problem (the citizen is still added, the
    saved address is kept: half an address would post a letter wrongly)."""
    street, postcode, town = row.address
    args = dict(line=row.line, cpr=masked)
    if len(street) > STREET_MAX:
        message = _('Line %(line)d: the street address of %(cpr)s is longer than %(max)d '
                    'characters; the citizen is added, the postal address is not changed.',
                    max=STREET_MAX, **args)
    elif len(postcode) > POSTCODE_MAX:
        message = _('Line %(line)d: the postcode of %(cpr)s is longer than %(max)d '
                    'characters; the citizen is added, the postal address is not changed.',
                    max=POSTCODE_MAX, **args)
    elif len(town) > TOWN_MAX:
        message = _('Line %(line)d: the town of %(cpr)s is longer than %(max)d '
                    'characters; the citizen is added, the postal address is not changed.',
                    max=TOWN_MAX, **args)
    elif not all(row.address):
        message = _('Line %(line)d: the postal address of %(cpr)s is incomplete (street, '
                    'postcode and town are all needed); the citizen is added, the postal '
                    'address is not changed.', **args)
    else:
        return row.address
    problems.append(ImportProblem(row.line, masked, message, 'address'))
    return None


# --- saving -------------------------------------------------------------------

def save_addresses(result: ImportResult, actor: User, *, ip: str = '') -> int:
    """The list's postal addresses onto the citizens' profiles, each change
    audited as on the address page, in one transaction; how many changed.
    As on the address page, only an administrator changes addresses."""
    if actor.role != User.ADMIN:
        return 0
    changed = [e for e in result.entries
               if e.address is not None and e.user.organisation_id == actor.organisation_id
               and _saved_address(e.user) != e.address]
    if not changed:
        return 0
    with transaction():
        for entry in changed:
            _save_address(entry.user, entry.address)
        insert_rows(AuditEvent, [
            {'action': ADDRESS_CHANGED, 'actor': actor.id, 'organisation': actor.organisation_id,
             'object_type': User.__name__, 'object_id': e.user.id, 'detail': 'from a list',
             'ip': ip} for e in changed], returning=False)
    return len(changed)


def _profile(user: User) -> CitizenProfile | None:
    profile = getattr(user, 'profile', None)    # joined by _citizens
    return profile if profile is not None and profile.id is not None else None


def _saved_address(user: User) -> tuple[str, str, str]:
    profile = _profile(user)
    return (profile.address, profile.postcode, profile.city) if profile else ('', '', '')


def _save_address(user: User, address: tuple[str, str, str]) -> None:
    street, postcode, town = address
    profile = _profile(user)
    if profile is None:
        CitizenProfile.create(user=user, organisation=user.organisation_id, address=street,
                              postcode=postcode, city=town)
        return
    (CitizenProfile.update(address=street, postcode=postcode, city=town)
     .where(CitizenProfile.id == profile.id).execute())
