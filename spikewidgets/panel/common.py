"""Pieces shared by the parts of the panel: the status line, a re-entrancy flag, closing.

:class:`StatusLine` is the one place where a part says, in words, what
happened last (a model loaded, a search finished, why something failed). A
part shows its own status line when used alone; the panel gives every part
the same one.
"""

from __future__ import annotations

import contextlib
import html
import re
import threading
from collections.abc import Callable, Iterator

import ipywidgets as widgets
import traitlets

__all__ = [
    "LEVELS",
    "NO_FACTOR",
    "Part",
    "Quiet",
    "StatusLine",
    "close_tree",
    "guarded",
    "status_html",
    "status_text",
]

#: Index meaning "no scaling factor selected" (accuracy view, trial viewer).
NO_FACTOR = -1

#: Colour and mark of each level of the status line.
LEVELS = {
    "info": ("#333333", ""),
    "busy": ("#1f5fa8", "⏳ "),
    "success": ("#1a7f37", "✔ "),
    "warning": ("#9a6700", "⚠ "),
    "error": ("#c62828", "✖ "),
}


def status_html(message: str, level: str = "info") -> str:
    """A status message as HTML: escaped, coloured and marked by ``level``.

    Parameters
    ----------
    message : str
        The text (newlines become line breaks).
    level : str
        One of :data:`LEVELS` (an unknown level is shown as ``"info"``).

    Returns
    -------
    str
        A ``<div class="spw-message spw-LEVEL">``.
    """
    color, mark = LEVELS.get(level, LEVELS["info"])
    text = html.escape(message).replace("\n", "<br>")
    return f'<div class="spw-message spw-{level}" style="color:{color}">{mark}{text}</div>'


def status_text(value: str) -> str:
    """The plain text of a status line's HTML (for tests and logs)."""
    return html.unescape(re.sub(r"<[^>]+>", " ", value)).strip()


def close_tree(widget: widgets.Widget, keep: tuple = ()) -> None:
    """Close a widget and, first, every widget inside it, except those in ``keep``.

    Besides ``children``, a widget may list widgets it owns but does not show
    (yet) in an ``owned_widgets`` attribute. jupyter_bokeh's
    ``BokehModel.close`` is not idempotent and runs again when the widget is
    garbage-collected, so only the comm of each widget is closed
    (``ipywidgets.Widget.close``).
    """
    if any(widget is kept for kept in keep):
        return
    inside = tuple(getattr(widget, "children", ())) + tuple(getattr(widget, "owned_widgets", ()))
    for child in inside:
        close_tree(child, keep)
    widgets.Widget.close(widget)


class Part:
    """Mixin for the panel's parts: ``close()`` closes the part and every widget inside it.

    The BokehJS loader shared by every panel of the kernel stays open.
    """

    def close(self) -> None:
        """Close this widget and every widget inside it."""
        from .bokehjs import shared_widgets

        close_tree(self, shared_widgets())  # type: ignore[arg-type]


class Quiet:
    """A per-thread flag, true while a part itself changes its controls.

    ``with quiet(): ...`` sets it; observers skip their work ``if quiet``.
    """

    def __init__(self) -> None:
        self._local = threading.local()

    def __bool__(self) -> bool:
        return getattr(self._local, "on", False)

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        before = bool(self)
        self._local.on = True
        try:
            yield
        finally:
            self._local.on = before


class StatusLine(Part, widgets.HBox):
    """One line saying what happened last, coloured by its level.

    Parameters
    ----------
    message : str
        The first message.
    level : str
        ``"info"``, ``"busy"``, ``"success"``, ``"warning"`` or ``"error"``.

    Attributes
    ----------
    message : str (trait)
        The text shown.
    level : str (trait)
        Its level.
    html : ipywidgets.HTML
        The widget that shows it (CSS class ``spw-status``).
    """

    message = traitlets.Unicode("")
    level = traitlets.Enum(tuple(LEVELS), default_value="info")

    def __init__(self, message: str = "", level: str = "info", **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.html = widgets.HTML()
        self.html.add_class("spw-status")
        self.children = (self.html,)
        self.observe(self._render, names=["message", "level"])
        self.show(message, level)
        self._render()

    def show(self, message: str, level: str = "info") -> None:
        """Show ``message`` at ``level``."""
        with self.hold_trait_notifications():  # one consistent redraw
            self.level = level
            self.message = message

    @property
    def text(self) -> str:
        """The plain text of the line, with its mark (``"✖ Cannot run: …"``)."""
        return status_text(self.html.value)

    def _render(self, _change: object = None) -> None:
        self.html.value = status_html(self.message, self.level)


def guarded(handler: Callable[..., object], status: StatusLine) -> Callable[..., None]:
    """``handler`` for a widget callback: an exception shows in ``status`` instead of a traceback.

    Parameters
    ----------
    handler : callable
        The callback.
    status : StatusLine
        Where an error message goes.

    Returns
    -------
    callable
        Calls ``handler`` with the same arguments.
    """
    def call(*args: object) -> None:
        try:
            handler(*args)
        except Exception as error:
            status.show(str(error) or type(error).__name__, "error")
    return call
