"""A job centre's setup (teams, caseworkers, rooms, meeting types, templates,
closing days, absences, citizens) and the audit log."""
