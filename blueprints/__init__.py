"""Views grouped by area (`admin`, `planner`, `pool`, and the shared pages at
this level); each module defines `bp = Blueprint(...)` near the top."""
