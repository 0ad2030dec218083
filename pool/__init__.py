"""Pool services (the staffing centre): availability, vacancies, requests and
bookings of substitutes, and the inbound "Ja" / "Nej" path (`replies`)."""
