"""Planner services (the job centre): booking, summons, follow-up, calendar
sync, citizen import and privacy. Each write path exists here once."""
