"""One module per platform: platform payload → ``Message``; no store, no UI.

Heavy SDKs are imported inside the adapter that needs them, so a desk with
only the demo feed never pays for tweepy.
"""

from askdesk.channels.base import (
    Adapter,
    Channel,
    CountsSegments,
    Fetched,
    GuardsReplies,
    Link,
    LinkState,
    LiveChannel,
    LiveSink,
    NamesPatrons,
    Notice,
    PatronLeft,
    PlacesSessions,
    PolledChannel,
    Problem,
    Receipt,
    ReplyWindow,
    ReportsLengthLimit,
    ReportsRateLimit,
    Sender,
    SentLookup,
    TracksDelivery,
    WakesEarly,
)

__all__ = [
    "Adapter",
    "Channel",
    "CountsSegments",
    "Fetched",
    "GuardsReplies",
    "Link",
    "LinkState",
    "LiveChannel",
    "LiveSink",
    "NamesPatrons",
    "Notice",
    "PatronLeft",
    "PlacesSessions",
    "PolledChannel",
    "Problem",
    "Receipt",
    "ReplyWindow",
    "ReportsLengthLimit",
    "ReportsRateLimit",
    "Sender",
    "SentLookup",
    "TracksDelivery",
    "WakesEarly",
]
