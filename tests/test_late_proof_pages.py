"""Citizens summoned after their deadline: the summons checks the
caseworkers' calendars again from the database and the result page and
the follow-up list say why, per citizen, in plain words."""
import datetime as dt
import html as markup
import json
import re

from models import Caseworker, Meeting, MeetingParticipant
from planner import summons
from tests.summons_support import centre, draft_with, frame_for, make_citizens  # noqa: F401
from tests.test_offers_support import next_monday


def text(response) -> str:
    return response.get_data(as_text=True)


def follow_up_rows(html: str) -> dict[int, str]:
    return {int(pid): body for pid, body in
            re.findall(r'<tr id="followup-row-(\d+)"(.*?)</tr>', html, re.S)}


def test_too_little_capacity_shows_why_on_the_result_page_and_follow_up_list(
        client, login, centre, make_user):
    anne, bent = centre.caseworkers[:2]
    # 20 % of a 7.5-hour day: two 45-minute meetings each, four a day in all.
    Caseworker.update(auto_share=20).where(Caseworker.id.in_([anne.id, bent.id])).execute()
    monday = next_monday(centre.org)
    tuesday = monday + dt.timedelta(days=1)
    people = make_citizens(centre.org, make_user, 6, prefix='Sen')
    frame = frame_for(centre, caseworker_ids=[anne.id, bent.id], earliest_date=monday)
    now = dt.datetime.now(dt.timezone.utc)
    draft = draft_with(centre, people, frame, due_dates={c.id: monday for c in people}, now=now)
    proposal = summons.propose(draft, now)
    assert (proposal.placed, proposal.late) == (6, 2)

    login(centre.planner)
    rows = [row.id for row in summons.review_rows(draft)]
    r = client.post(f'/summons/{draft.id}/review', data={'action': 'summon', 'ticked': rows})
    assert r.status_code == 303 and r.headers['Location'].endswith('/summons/result')
    html = text(client.get(r.headers['Location']))
    assert '6 meetings made' in html
    assert '2 citizens summoned after the deadline' in html

    late = list(MeetingParticipant.select().join(Meeting).where(Meeting.late == True))  # noqa: E712
    assert len(late) == 2
    for line in late:
        proof = json.loads(line.late_evidence)
        assert proof['deadline'] == monday.isoformat()
        assert [c['name'] for c in proof['caseworkers']] == ['Anne Andersen', 'Bent Bech']
        # Checked again after the summons: Monday is full, and each has one
        # meeting left on Tuesday after the late meetings at 08:00.
        for c in proof['caseworkers']:
            assert c['free'] == 0 and c['first_free'] == []
            first = dt.datetime.fromisoformat(c['first_after']).astimezone(centre.org.zone)
            assert (first.date(), first.time()) == (tuesday, dt.time(8, 45))
        name = line.citizen.name
        said = re.search(rf'<strong>{name}</strong>[^:]*: ([^<]+)</li>', html)
        assert said, html
        why = markup.unescape(said.group(1))
        assert why.startswith('After the deadline')
        assert 'Anne Andersen, Bent Bech had no free time on' in why
        assert "Anne Andersen's first free time was" in why
        assert "Bent Bech's first free time was" in why
    on_time = MeetingParticipant.select().join(Meeting).where(Meeting.late == False)  # noqa: E712
    assert all(line.late_evidence is None for line in on_time)

    page = text(client.get('/summons/follow-up/'))
    found = follow_up_rows(page)
    assert len(found) == 6
    late_ids = {line.id for line in late}
    for pid, body in found.items():
        if pid in late_ids:
            body = markup.unescape(body)
            assert 'Anne Andersen, Bent Bech had no free time on' in body
            assert "Bent Bech's first free time was" in body
        else:
            assert 'After the deadline' not in body


def evidence_json(earliest, deadline, *caseworkers):
    return json.dumps(dict(earliest=earliest.isoformat(), deadline=deadline.isoformat(),
                           caseworkers=list(caseworkers)))


def test_the_evidence_in_plain_words_in_english_and_danish(app, jobcentre):
    from flask_babel import force_locale
    from planner.late_proof import explain
    first, deadline = dt.date(2027, 12, 2), dt.date(2027, 12, 12)
    anna = dict(id=1, name='Anna Jensen', free=0, first_free=[],
                first_after='2027-12-15T08:00:00+00:00')            # 09:00 in Copenhagen
    bo = dict(id=2, name='Bo Holm', free=0, first_free=[], first_after=None)
    with app.test_request_context():
        said = explain(jobcentre, evidence_json(first, deadline, anna, bo))
        assert said == ('After the deadline 12 Dec 2027: Anna Jensen, Bo Holm had no free time '
                        "between 2 Dec 2027 and 12 Dec 2027. Anna Jensen's first free time was "
                        '15 Dec 2027, 09:00. Bo Holm had no free time in the weeks after '
                        'either.')
        # A caseworker who did have time (the planner moved the meeting) is named with it.
        busy_not = dict(anna, free=2, first_free=['2027-12-03T13:00:00+00:00'])
        said = explain(jobcentre, evidence_json(first, deadline, busy_not, bo))
        assert 'Bo Holm had no free time between' in said
        assert 'Anna Jensen had 2 free times between 2 Dec 2027 and 12 Dec 2027 (first ' \
               '3 Dec 2027, 14:00).' in said
        passed = explain(jobcentre, evidence_json(dt.date(2027, 12, 14), deadline, anna))
        assert 'the deadline had passed before the earliest date 14 Dec 2027.' in passed
        assert explain(jobcentre, '{oops') == '' and explain(jobcentre, None) == ''
        with force_locale('da'):
            said = explain(jobcentre, evidence_json(first, deadline, anna, bo))
        assert said.startswith('Efter fristen 12. dec. 2027: Anna Jensen, Bo Holm havde ingen '
                               'ledig tid mellem 2. dec. 2027 og 12. dec. 2027.')
        assert 'Første ledige tid hos Anna Jensen var 15. dec. 2027 09:00.' in said
