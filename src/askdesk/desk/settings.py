"""The checks ``config.py`` leaves to the layers that own them, made once when askdesk starts.

``load_config`` reads the file; this checks what it kept as written: each
channel's options (by its adapter), the templates, the privacy patterns and
the names of the library's own statistics fields.
Every problem is one ``ConfigError`` sentence naming the file and the key.
"""

from __future__ import annotations

from askdesk.channels.registry import check_channels
from askdesk.config import Config
from askdesk.desk.export import FIELDS
from askdesk.desk.fields import check_field_names
from askdesk.desk.privacy import compile_patterns
from askdesk.desk.templates import load_templates


def check_config(config: Config) -> None:
    """Raise ``ConfigError`` for the first bad channel option, template or privacy pattern."""
    check_channels(config.channels)
    where = str(config.source) if config.source else "defaults"
    check_field_names(config.stats_fields, FIELDS, where)
    load_templates(config.templates, config.stats_fields, config.hours)
    compile_patterns(config.privacy_patterns, f"{where}: privacy.patterns")
