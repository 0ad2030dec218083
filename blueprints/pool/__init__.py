"""The staffing centre's pages (units, substitutes, vacancies, messages) and
the substitute's own pages."""
