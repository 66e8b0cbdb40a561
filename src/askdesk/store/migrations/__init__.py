"""The PostgreSQL store's schema as numbered SQL files, applied in order by ``askdesk migrate``."""
