"""Small helpers every layer may use: identity numbers and phone numbers
(`validators`), postcodes. No Flask, no database."""
