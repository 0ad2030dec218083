"""The job centre's daily pages: calendars, online offers, the citizen's own
pages, summons, the pending and follow-up lists."""
