"""askdesk: one keyboard desk for every channel a library answers patrons on."""

__version__ = "0.1.0"
