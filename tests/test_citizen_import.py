"""Lists of citizens for a summons: pasted, .csv and .xlsx; row-level problems;
postal addresses from the list."""
import datetime as dt
import io

import pytest
from flask_babel import force_locale
from openpyxl import Workbook

from models import AuditEvent, CitizenProfile, User
from planner import citizen_import
from planner.citizen_import import friday_of, lookup_one, parse_citizen_list, save_addresses
from tests.test_offers_support import world  # noqa: F401
from tests.test_summons_wizard import _new_draft, frame_data

ANNA, BO, CARL, DORTE, EMIL = ('0101901111', '0202902222', '0303903333', '0404904444',
                               '0505905555')
EMIGRANT, DECEASED = '0606906666', '0707907777'
UNKNOWN = '0808908888'        # a valid number nobody in the job centre has


@pytest.fixture
def citizens(jobcentre, make_user):
    people = {}
    for name, cpr in (('Anna Andersen', ANNA), ('Bo Berg', BO), ('Carl Clausen', CARL),
                      ('Dorte Dahl', DORTE), ('Emil Eriksen', EMIL),
                      ('Frede Emigrant', EMIGRANT), ('Gitte Gone', DECEASED)):
        people[cpr] = make_user(jobcentre, User.CITIZEN, name=name, cpr=cpr)
    for cpr in (ANNA, BO):
        CitizenProfile.create(user=people[cpr], organisation=jobcentre)
    CitizenProfile.create(user=people[EMIGRANT], organisation=jobcentre,
                          cpr_inactive_reason='emigrated')
    CitizenProfile.create(user=people[DECEASED], organisation=jobcentre,
                          cpr_inactive_reason='deceased')
    return people


def dashed(cpr):
    return f'{cpr[:6]}-{cpr[6:]}'


def names(result):
    return [e.user.name for e in result.entries]


def problem_texts(result):
    return '\n'.join(p.message for p in result.problems)


def assert_no_full_cpr(result, *cprs):
    """The full number shows nowhere in what the page would print."""
    text = problem_texts(result) + repr(result.inactive) + result.error
    for cpr in cprs:
        assert cpr not in text and dashed(cpr) not in text


def xlsx_bytes(rows):
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- pasted text ----------------------------------------------------------------

def test_paste_with_personnr_header_and_due_dates(jobcentre, citizens):
    text = ('Navn\tPersonnr.\tFalddato\n'
            f'Anna Andersen\t{dashed(ANNA)}\t2025-03-12\n'      # a Wednesday
            f'Bo Berg\t{BO}\t14-03-2025\n'                      # already a Friday
            f'Carl Clausen\t{dashed(CARL)}\t\n')                # no due date
    result = parse_citizen_list(jobcentre, text=text)
    assert result.error == '' and result.problems == []
    assert names(result) == ['Anna Andersen', 'Bo Berg', 'Carl Clausen']
    assert [e.line for e in result.entries] == [2, 3, 4]
    assert [e.due_date for e in result.entries] == [dt.date(2025, 3, 14), dt.date(2025, 3, 14),
                                                    None]


def test_person_nr_header_variant_in_another_column_and_title_rows(jobcentre, citizens):
    text = ('Indkaldelse marts\n'
            '\n'
            'Falddag;Person-nr;Navn\n'
            f'16.03.2025;{dashed(DORTE)};Dorte Dahl\n'          # a Sunday: Friday before
            f'10/03/2025;{EMIL};Emil Eriksen\n')                # a Monday: that Friday
    result = parse_citizen_list(jobcentre, text=text)
    assert result.error == '' and result.problems == []
    assert names(result) == ['Dorte Dahl', 'Emil Eriksen']
    assert [e.due_date for e in result.entries] == [dt.date(2025, 3, 14), dt.date(2025, 3, 14)]
    assert [e.line for e in result.entries] == [4, 5]


@pytest.mark.parametrize('header', ['PERSONNR', 'person nr.', 'CPR', 'CPR-nr.', 'Personnummer'])
def test_cpr_header_spellings(jobcentre, citizens, header):
    result = parse_citizen_list(jobcentre, text=f'{header}\tFalddato\n{dashed(ANNA)}\t\n')
    assert names(result) == ['Anna Andersen'] and result.problems == []


def test_plain_list_without_header_and_junk_lines(jobcentre, citizens):
    text = (f'{dashed(ANNA)}\n'
            '\n'
            f'  {BO} Bo Berg  \n'
            'Ring til Carl i morgen\n'          # junk: no CPR
            f'Carl, tlf. +4520101234, {CARL}\n'  # the phone number is not the CPR
            '---\n')
    result = parse_citizen_list(jobcentre, text=text)
    assert result.error == ''
    assert names(result) == ['Anna Andersen', 'Bo Berg', 'Carl Clausen']
    junk = [p for p in result.problems if p.kind == 'no_cpr']
    assert [p.line for p in junk] == [4, 6]
    assert 'Line 4: no CPR number' in problem_texts(result)


def test_malformed_cpr_named_by_line_and_masked(jobcentre, citizens):
    text = ('Personnr.\n'
            f'{dashed(ANNA)}\n'
            '321390-1234\n'         # month 13
            '310290-1234\n'         # 31 February
            '19900101-1238\n'       # a Swedish personnummer with a wrong check digit
            '010190-12\n')          # too short
    result = parse_citizen_list(jobcentre, text=text)
    assert names(result) == ['Anna Andersen']
    bad = [p for p in result.problems if p.kind == 'malformed']
    assert [p.line for p in bad] == [3, 4, 5, 6]
    assert bad[0].masked_cpr == '321390-xxxx'
    assert 'Line 3: 321390-xxxx is not a valid CPR number' in bad[0].message
    assert_no_full_cpr(result, '3213901234', '3102901234')
    assert '1238' not in problem_texts(result)


def test_unknown_cpr_and_citizen_of_another_organisation(jobcentre, citizens, make_org,
                                                        make_user):
    other = make_org('planner')
    outsider = '0909909999'
    make_user(other, User.CITIZEN, name='Ole Outsider', cpr=outsider)
    make_user(jobcentre, User.CASEWORKER, name='Staff With Cpr', cpr='1010901010')
    text = f'Personnr.\n{UNKNOWN}\n{outsider}\n1010901010\n{ANNA}\n'
    result = parse_citizen_list(jobcentre, text=text)
    assert names(result) == ['Anna Andersen']
    unknown = [p for p in result.problems if p.kind == 'unknown']
    assert [p.line for p in unknown] == [2, 3, 4]
    assert 'Line 2: no citizen with CPR number 080890-xxxx is known' in unknown[0].message
    assert 'Ole Outsider' not in problem_texts(result)
    assert_no_full_cpr(result, UNKNOWN, outsider)


def test_duplicates_keep_the_first(jobcentre, citizens):
    text = ('Personnr.\tFalddato\n'
            f'{dashed(ANNA)}\t2025-03-14\n'
            f'{BO}\t\n'
            f'{ANNA}\t2025-04-11\n')
    result = parse_citizen_list(jobcentre, text=text)
    assert names(result) == ['Anna Andersen', 'Bo Berg']
    assert result.entries[0].due_date == dt.date(2025, 3, 14)
    dup, = result.problems
    assert dup.kind == 'duplicate' and dup.line == 4 and dup.masked_cpr == '010190-xxxx'
    assert 'already on line 2' in dup.message


def test_inactive_refused_except_emigrated(jobcentre, citizens):
    text = f'Personnr.\n{EMIGRANT}\n{DECEASED}\n{ANNA}\n'
    result = parse_citizen_list(jobcentre, text=text)
    assert names(result) == ['Frede Emigrant', 'Anna Andersen']
    assert result.inactive == [('Gitte Gone', '070790-xxxx')]
    refused, = result.problems
    assert refused.kind == 'inactive' and refused.line == 3
    assert 'cannot be summoned' in refused.message and 'deceased' in refused.message
    assert_no_full_cpr(result, DECEASED)


def test_unreadable_due_date_keeps_the_row_with_a_warning(jobcentre, citizens):
    text = f'Personnr.;Falddato\n{ANNA};next spring\n{BO};2025-02-30\n'
    result = parse_citizen_list(jobcentre, text=text)
    assert names(result) == ['Anna Andersen', 'Bo Berg']
    assert [e.due_date for e in result.entries] == [None, None]
    assert [(p.kind, p.line) for p in result.problems] == [('due_date', 2), ('due_date', 3)]
    assert 'next spring' in result.problems[0].message


def test_friday_of_the_week():
    assert friday_of(dt.date(2025, 3, 10)) == dt.date(2025, 3, 14)   # Monday
    assert friday_of(dt.date(2025, 3, 14)) == dt.date(2025, 3, 14)   # Friday
    assert friday_of(dt.date(2025, 3, 15)) == dt.date(2025, 3, 14)   # Saturday
    assert friday_of(dt.date(2024, 12, 30)) == dt.date(2025, 1, 3)   # across the year


# --- files -------------------------------------------------------------------------

def test_xlsx_with_date_cells_and_numbers_that_lost_the_leading_zero(jobcentre, citizens):
    data = xlsx_bytes([
        ['Navn', 'Person-nr.', 'Falddato'],
        ['Anna Andersen', int(ANNA), dt.datetime(2025, 3, 12)],   # 101901111 in the cell
        ['Carl Clausen', dashed(CARL), '13.03.2025'],
        [None, None, None],
        ['Ingen', None, None],                                      # no CPR: junk
        ['Dorte Dahl', DORTE, None],
    ])
    result = parse_citizen_list(jobcentre, filename='Liste.XLSX', data=data)
    assert result.error == ''
    assert names(result) == ['Anna Andersen', 'Carl Clausen', 'Dorte Dahl']
    assert [e.due_date for e in result.entries] == [dt.date(2025, 3, 14), dt.date(2025, 3, 14),
                                                    None]
    assert [e.line for e in result.entries] == [2, 3, 6]
    assert [(p.kind, p.line) for p in result.problems] == [('no_cpr', 5)]


def test_xlsx_without_the_cpr_header_is_one_error(jobcentre, citizens):
    data = xlsx_bytes([['Navn', 'Nummer'], ['Anna Andersen', dashed(ANNA)]])
    result = parse_citizen_list(jobcentre, filename='liste.xlsx', data=data)
    assert result.entries == [] and result.problems == []
    assert 'Personnr.' in result.error


def test_csv_with_bom_and_semicolons(jobcentre, citizens):
    text = ('Navn;Personnr.;Falddato\r\n'
            f'Åse-Bo Berg;{dashed(BO)};12-03-2025\r\n'
            f'"Andersen; Anna";{ANNA};\r\n')
    data = '\ufeff'.encode('utf-8') + text.encode('utf-8')
    result = parse_citizen_list(jobcentre, filename='liste.csv', data=data)
    assert result.error == '' and result.problems == []
    assert names(result) == ['Bo Berg', 'Anna Andersen']
    assert result.entries[0].due_date == dt.date(2025, 3, 14)


def test_csv_in_windows_1252_with_commas(jobcentre, citizens):
    data = (f'Navn,CPR-nr.,Forfaldsdato\r\nSøren,{dashed(CARL)},2025-03-11\r\n'
            ).encode('cp1252')
    result = parse_citizen_list(jobcentre, filename='export.csv', data=data)
    assert names(result) == ['Carl Clausen']
    assert result.entries[0].due_date == dt.date(2025, 3, 14)


def test_csv_without_header_is_one_error(jobcentre, citizens):
    result = parse_citizen_list(jobcentre, filename='liste.csv',
                                data=f'{ANNA}\n{BO}\n'.encode())
    assert result.entries == [] and 'Personnr.' in result.error


@pytest.mark.parametrize('filename, data', [
    ('billede.png', b'\x89PNG\r\n\x1a\n' + b'\x00' * 50),
    ('liste.xlsx', b'Personnr.\n0101901111\n'),                 # not a workbook
    ('liste.csv', b'PK\x03\x04' + b'\x00' * 50),               # a zip named .csv
    ('liste.xls', b'\xd0\xcf\x11\xe0' + b'\x00' * 50),
])
def test_not_a_spreadsheet_is_refused(jobcentre, citizens, filename, data):
    result = parse_citizen_list(jobcentre, filename=filename, data=data)
    assert result.error and result.entries == []


def test_big_file_refused(jobcentre, citizens):
    big = b'Personnr.\n' + b'0101901111\n' * (citizen_import.MAX_BYTES // 11 + 1)
    result = parse_citizen_list(jobcentre, filename='stor.csv', data=big)
    assert result.entries == [] and '2 MB' in result.error


def test_too_many_rows_refused(jobcentre, citizens):
    rows = [['Personnr.']] + [[ANNA]] * (citizen_import.MAX_ROWS + 1)
    result = parse_citizen_list(jobcentre, filename='mange.xlsx', data=xlsx_bytes(rows))
    assert result.entries == [] and '5000' in result.error
    text = 'Personnr.\n' + f'{ANNA}\n' * (citizen_import.MAX_ROWS + 1)
    assert '5000' in parse_citizen_list(jobcentre, text=text).error
    # Exactly the limit is fine (duplicates are reported, the first kept).
    ok = parse_citizen_list(jobcentre, text='Personnr.\n' + f'{ANNA}\n' * citizen_import.MAX_ROWS)
    assert ok.error == '' and names(ok) == ['Anna Andersen']


def test_empty_list(jobcentre, citizens):
    assert parse_citizen_list(jobcentre, text='  \n').error


def test_one_query_for_the_whole_list(jobcentre, citizens, make_user):
    from models import db
    cprs = [f'{d:02d}0185{n:04d}' for d in range(1, 29) for n in range(3)]
    for cpr in cprs:
        make_user(jobcentre, User.CITIZEN, cpr=cpr)
    executed = []
    original = db.obj.execute_sql

    def counting(sql, *args, **kwargs):
        executed.append(sql)
        return original(sql, *args, **kwargs)

    db.obj.execute_sql = counting
    try:
        result = parse_citizen_list(jobcentre, text='\n'.join(cprs))
    finally:
        del db.obj.execute_sql
    assert len(result.entries) == len(cprs)
    assert len([s for s in executed if s.lstrip().upper().startswith('SELECT')]) == 1


# --- one citizen ------------------------------------------------------------------

def test_lookup_one(jobcentre, citizens, make_org, make_user):
    user, message = lookup_one(jobcentre, dashed(ANNA))
    assert user.name == 'Anna Andersen' and message == ''
    assert lookup_one(jobcentre, f' {EMIGRANT} ')[0].name == 'Frede Emigrant'
    user, message = lookup_one(jobcentre, DECEASED)
    assert user is None and 'inactive' in message and DECEASED not in message
    user, message = lookup_one(jobcentre, '321390-1234')
    assert user is None and 'not a valid CPR number' in message
    user, message = lookup_one(jobcentre, UNKNOWN)
    assert user is None and '080890-xxxx' in message and UNKNOWN not in message
    other = make_org('planner')
    make_user(other, User.CITIZEN, cpr='0909909999')
    assert lookup_one(jobcentre, '0909909999')[0] is None


# --- postal addresses -------------------------------------------------------------

def addresses(result):
    return [e.address for e in result.entries]


def saved_address(user):
    profile = CitizenProfile.get_or_none(CitizenProfile.user == user)
    return (profile.address, profile.postcode, profile.city) if profile else None


def address_events():
    return list(AuditEvent.select().where(AuditEvent.action == 'citizen_address_changed')
                .order_by(AuditEvent.object_id))


def test_danish_address_columns_are_read(jobcentre, citizens):
    text = ('Navn;Personnr.;Adresse;Postnr.;By\r\n'
            f'Anna;{dashed(ANNA)};"Søndergade 12,\n 2. tv";8000;Aarhus C\r\n'
            f'Bo;{BO};;;\r\n')                        # no address: keep what is saved
    data = text.encode('utf-8')
    result = parse_citizen_list(jobcentre, filename='udtræk.csv', data=data,
                                read_addresses=True)
    assert result.error == '' and result.problems == []
    assert names(result) == ['Anna Andersen', 'Bo Berg']
    # A line break inside a cell would break the envelope window: one line.
    assert addresses(result) == [('Søndergade 12, 2. tv', '8000', 'Aarhus C'), None]


@pytest.mark.parametrize('header', [['Personnummer', 'Adress', 'Postnummer', 'Ort'],
                                    ['CPR', 'Address', 'Postcode', 'Town'],
                                    ['Personnr.', 'ADRESSE', 'Post nr.', 'By']])
def test_swedish_english_and_spelling_variants_in_xlsx(jobcentre, citizens, header):
    data = xlsx_bytes([header, [int(ANNA), 'Storgatan 1', 11122, 'Stockholm']])
    result = parse_citizen_list(jobcentre, filename='lista.xlsx', data=data,
                                read_addresses=True)
    assert result.problems == []
    # The postcode kept as a number in the sheet reads as its digits.
    assert addresses(result) == [('Storgatan 1', '11122', 'Stockholm')]


def test_bad_addresses_are_reported_by_line_and_the_citizens_still_added(jobcentre, citizens):
    text = ('Personnr.\tAdresse\tPostnr.\tBy\n'
            f'{ANNA}\t{"x" * 201}\t8000\tAarhus C\n'          # street too long
            f'{BO}\tJobvej 1\t80000000000\tAarhus C\n'        # postcode too long
            f'{CARL}\tJobvej 1\t8000\t{"y" * 81}\n'           # town too long
            f'{DORTE}\tJobvej 1\t\t\n'                        # street only
            f'{EMIL}\tJobvej 2\t8000\tAarhus C\n')
    result = parse_citizen_list(jobcentre, text=text, read_addresses=True)
    assert names(result) == ['Anna Andersen', 'Bo Berg', 'Carl Clausen', 'Dorte Dahl',
                             'Emil Eriksen']
    assert addresses(result) == [None, None, None, None, ('Jobvej 2', '8000', 'Aarhus C')]
    assert [(p.kind, p.line) for p in result.problems] == [('address', n) for n in (2, 3, 4, 5)]
    messages = [p.message for p in result.problems]
    assert messages[0].startswith('Line 2: the street address of 010190-xxxx is longer than 200')
    assert 'Line 3: the postcode of 020290-xxxx is longer than 10 characters' in messages[1]
    assert 'Line 4: the town of 030390-xxxx is longer than 80 characters' in messages[2]
    assert 'Line 5: the postal address of 040490-xxxx is incomplete' in messages[3]
    assert all('the postal address is not changed' in m for m in messages)
    assert_no_full_cpr(result, ANNA, BO, CARL, DORTE)
    with force_locale('da'):
        danish = parse_citizen_list(jobcentre, text=text, read_addresses=True)
    assert danish.problems[0].message.startswith('Linje 2: ')
    assert 'postal address' not in problem_texts(danish)


def test_addresses_are_only_counted_when_not_read(jobcentre, citizens):
    text = (f'Personnr.;Adresse;Postnr.;By\n{ANNA};Jobvej 1;8000;Aarhus C\n'
            f'{BO};{"x" * 201};;\n{CARL};;;\n')
    result = parse_citizen_list(jobcentre, text=text)
    assert result.problems == [] and addresses(result) == [None, None, None]
    assert result.addresses_not_read == 2


def test_save_updates_creates_keeps_and_audits(jobcentre, citizens, make_user):
    admin = make_user(jobcentre, User.ADMIN)
    CitizenProfile.update(address='Gammelvej 1', postcode='8000', city='Aarhus C').where(
        CitizenProfile.user == citizens[BO]).execute()
    text = ('Personnr.;Adresse;Postnr.;By\n'
            f'{ANNA};Nyvej 2;8200;Aarhus N\n'         # had none: set
            f'{BO};;;\n'                              # typed by hand: kept
            f'{CARL};Torvet 3;7100;Vejle\n'           # no profile yet: created
            f'{DORTE};Jobvej 1;8000\n')               # incomplete: not changed
    result = parse_citizen_list(jobcentre, text=text, read_addresses=True)
    assert save_addresses(result, admin, ip='10.0.0.9') == 2
    assert saved_address(citizens[ANNA]) == ('Nyvej 2', '8200', 'Aarhus N')
    assert saved_address(citizens[BO]) == ('Gammelvej 1', '8000', 'Aarhus C')
    assert saved_address(citizens[CARL]) == ('Torvet 3', '7100', 'Vejle')
    assert saved_address(citizens[DORTE]) is None
    events = address_events()
    assert [(e.object_type, e.object_id, e.actor_id, e.ip) for e in events] == [
        ('User', citizens[ANNA].id, admin.id, '10.0.0.9'),
        ('User', citizens[CARL].id, admin.id, '10.0.0.9')]
    assert all(e.organisation_id == jobcentre.id for e in events)
    # The same list again changes nothing, and records nothing.
    again = parse_citizen_list(jobcentre, text=text, read_addresses=True)
    assert save_addresses(again, admin) == 0 and len(address_events()) == 2


def test_only_an_administrator_saves_addresses(jobcentre, citizens, make_user):
    text = f'Personnr.;Adresse;Postnr.;By\n{ANNA};Nyvej 2;8200;Aarhus N\n'
    result = parse_citizen_list(jobcentre, text=text, read_addresses=True)
    for role in (User.PLANNER, User.CASEWORKER):
        assert save_addresses(result, make_user(jobcentre, role)) == 0
    assert saved_address(citizens[ANNA]) == ('', '', '') and address_events() == []


def _step2(client, w):
    base = _new_draft(client)
    assert client.post(base + '/frame', data=frame_data(w)).status_code == 303
    return base + '/citizens'


def test_an_administrators_upload_sets_addresses_and_names_bad_rows(client, login, world,
                                                                    citizens, make_user):
    login(make_user(world['org'], User.ADMIN))
    url = _step2(client, world)
    page = client.get(url).get_data(as_text=True)
    assert 'An empty cell keeps the address already saved' in page
    data = ('Navn;Personnr.;Adresse;Postnr.;By\n'
            f'Anna;{dashed(ANNA)};Nyvej 2;8200;Aarhus N\n'
            f'Bo;{BO};Jobvej 1;80000000000;Aarhus C\n').encode()
    r = client.post(url, data={'action': 'upload', 'file': (io.BytesIO(data), 'liste.csv')},
                    content_type='multipart/form-data')
    page = r.get_data(as_text=True)
    assert r.status_code == 200
    assert '2 citizens added to the list. 1 postal address updated.' in page
    assert 'Line 3: the postcode of 020290-xxxx is longer than 10 characters' in page
    assert saved_address(citizens[ANNA]) == ('Nyvej 2', '8200', 'Aarhus N')
    assert saved_address(citizens[BO]) == ('', '', '')
    assert [e.object_id for e in address_events()] == [citizens[ANNA].id]


def test_a_planners_list_leaves_addresses_alone_and_says_so(client, login, world, citizens):
    login(world['planner'])
    url = _step2(client, world)
    assert 'saved only from an administrator' in client.get(url).get_data(as_text=True)
    text = f'Personnr.\tAdresse\tPostnr.\tBy\n{dashed(ANNA)}\tNyvej 2\t8200\tAarhus N\n'
    r = client.post(url, data={'action': 'paste', 'text': text}, follow_redirects=True)
    page = r.get_data(as_text=True)
    assert '1 citizen added to the list.' in page
    assert 'The postal addresses in the list are not saved' in page
    assert saved_address(citizens[ANNA]) == ('', '', '') and address_events() == []
