"""Who is on shift, as one desk tells its staff: colleagues by name, and their own other desks.

Each open desk beats in the store (``Store.heartbeat``). Staff read "on shift"
as the colleagues they can hand to, so their own name is never among them; a
second desk of their own (the back office, a terminal left open at the front)
is counted beside "you are".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from askdesk.store import OnShift


@dataclass(frozen=True)
class Shift:
    """The desks open on the store besides this one."""

    colleagues: tuple[tuple[str, int], ...] = ()
    """Each colleague with a desk open and how many they have open, by name."""
    my_other_desks: int = 0
    """This staff member's desks open elsewhere."""

    def colleague_words(self) -> str:
        """``bo, cy (2 desks)``: each colleague once, however many desks they have open."""
        return ", ".join(
            name if desks == 1 else f"{name} ({desks} desks)" for name, desks in self.colleagues
        )

    def my_desks_words(self) -> str:
        """``2 desks open`` when this staff member has another desk open, else nothing."""
        return f"{self.my_other_desks + 1} desks open" if self.my_other_desks else ""


def shift_of(open_desks: Iterable[OnShift], this_desk: str, is_me: Callable[[str], bool]) -> Shift:
    """The shift as the desk ``this_desk`` (its heartbeat holder) shows it.

    ``is_me``: whether a staff name is this desk's staff member (``Desk.is_me``,
    which takes a name recorded before the team list as the listed one).
    """
    others = [d for d in open_desks if d.holder != this_desk]
    mine = sum(is_me(d.staff) for d in others)
    colleagues = Counter(d.staff for d in others if not is_me(d.staff))
    return Shift(tuple(sorted(colleagues.items())), mine)
