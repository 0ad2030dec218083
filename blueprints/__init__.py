"""One module per area; each defines `bp = Blueprint(...)` at the top."""
