"""Pieces shared by the parts of the panel: the status line, a re-entrancy flag, closing.

:class:`StatusLine` is the one place where a part says, in words, what
happened last (a model loaded, a search finished, why something failed). A
part shows its own status line when used alone; the panel gives every part
the same one. :func:`factor_labels` writes scaling factors at the precision
of their grid, as the sliders show them.
"""

from __future__ import annotations

import contextlib
import html
import re
import threading
from collections.abc import Callable, Iterable, Iterator

import ipywidgets as widgets
import traitlets

from spikewidgets.plots._base import plural

__all__ = [
    "LEVELS",
    "NO_FACTOR",
    "Part",
    "Quiet",
    "StatusLine",
    "check_factor_index",
    "close_tree",
    "decimals_needed",
    "factor_labels",
    "guarded",
    "share",
    "shared_widgets",
    "status_html",
    "status_text",
]

#: Index meaning "no scaling factor selected" (accuracy view, trial viewer).
NO_FACTOR = -1
#: The widgets shared by every panel of the kernel, by role (see `share`).
_SHARED: dict[str, widgets.Widget] = {}

#: Colour and mark of each level of the status line: characters that DejaVu Sans (the font
#: JupyterLab's sans-serif falls back to on Linux) has, so no missing-glyph box shows.
LEVELS = {
    "info": ("#333333", ""),
    "busy": ("#1f5fa8", "► "),
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

    Examples
    --------
    >>> from spikewidgets.panel._common import status_html
    >>> status_html("Saved <model>.", "success")
    '<div class="spw-message spw-success" style="color:#1a7f37">✔ Saved &lt;model&gt;.</div>'
    """
    color, mark = LEVELS.get(level, LEVELS["info"])
    text = html.escape(message).replace("\n", "<br>")
    return f'<div class="spw-message spw-{level}" style="color:{color}">{mark}{text}</div>'


def status_text(value: str) -> str:
    """The plain text of a status line's HTML (for tests and logs).

    Examples
    --------
    >>> from spikewidgets.panel._common import status_html, status_text
    >>> status_text(status_html("Cannot run: no model file", "error"))
    '✖ Cannot run: no model file'
    """
    return html.unescape(re.sub(r"<[^>]+>", " ", value)).strip()


def close_tree(widget: widgets.Widget, keep: tuple = ()) -> None:
    """Close a widget and, first, every widget inside it, except those in ``keep``.

    Besides ``children``, a widget may list widgets it owns but does not show
    (yet) in an ``owned_widgets`` attribute. jupyter_bokeh's
    ``BokehModel.close`` is not idempotent and runs again when the widget is
    garbage-collected, so only the comm of each widget is closed
    (``ipywidgets.Widget.close``).

    Examples
    --------
    >>> import ipywidgets as widgets
    >>> from spikewidgets.panel._common import close_tree
    >>> kept, closed = widgets.Label("kept"), widgets.Label("closed")
    >>> box = widgets.VBox([kept, closed])
    >>> close_tree(box, keep=(kept,))
    >>> box.comm is None, closed.comm is None, kept.comm is None
    (True, True, False)
    """
    if any(widget is kept for kept in keep):
        return
    inside = tuple(getattr(widget, "children", ())) + tuple(getattr(widget, "owned_widgets", ()))
    for child in inside:
        close_tree(child, keep)
    widgets.Widget.close(widget)


def share(role: str, widget: widgets.Widget) -> None:
    """Mark ``widget`` as shared by every panel of the kernel, in place of the last of its role.

    Closing a part (:class:`Part`) leaves the shared widgets open, as the
    BokehJS loader, which registers itself here.

    Examples
    --------
    >>> import ipywidgets as widgets
    >>> from spikewidgets.panel._common import share, shared_widgets
    >>> first, second = widgets.Label("first"), widgets.Label("second")
    >>> share("probe", first)
    >>> first in shared_widgets()
    True
    >>> share("probe", second)
    >>> first in shared_widgets(), second in shared_widgets()
    (False, True)
    """
    _SHARED[role] = widget


def shared_widgets() -> tuple[widgets.Widget, ...]:
    """Widgets shared by every panel of the kernel (closing a part keeps them open).

    Examples
    --------
    >>> from spikewidgets.panel._bokehjs import bokehjs_loader
    >>> from spikewidgets.panel._common import shared_widgets
    >>> bokehjs_loader() in shared_widgets()
    True
    """
    return tuple(_SHARED.values())


class Part:
    """Mixin for the panel's parts: ``close()`` closes the part and every widget inside it.

    The widgets shared by every panel of the kernel (:func:`shared_widgets`,
    as the BokehJS loader) stay open.

    Examples
    --------
    >>> import ipywidgets as widgets
    >>> from spikewidgets.panel._common import Part
    >>> class Row(Part, widgets.HBox):
    ...     pass
    >>> label = widgets.Label("inside")
    >>> row = Row([label])
    >>> row.close()
    >>> row.comm is None and label.comm is None
    True
    """

    def close(self) -> None:
        """Close this widget and every widget inside it, but the shared ones."""
        close_tree(self, shared_widgets())  # type: ignore[arg-type]


class Quiet:
    """A per-thread flag, true while a part itself changes its controls.

    ``with quiet(): ...`` sets it; observers skip their work ``if quiet``.

    Examples
    --------
    >>> from spikewidgets.panel._common import Quiet
    >>> quiet = Quiet()
    >>> with quiet():
    ...     inside = bool(quiet)
    >>> inside, bool(quiet)
    (True, False)
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

    Examples
    --------
    >>> from spikewidgets.panel._common import StatusLine
    >>> line = StatusLine("Choose a model file.")
    >>> line.show("Loaded go_nogo_example.mat", "success")
    >>> line.text, line.level
    ('✔ Loaded go_nogo_example.mat', 'success')
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

    Examples
    --------
    >>> from spikewidgets.panel._common import StatusLine
    >>> from spikewidgets.panel._common import guarded
    >>> line = StatusLine()
    >>> def load(path):
    ...     raise FileNotFoundError(f"{path} does not exist")
    >>> guarded(load, line)("model.mat")  # no traceback: the line says it
    >>> line.text
    '✖ model.mat does not exist'
    """
    def call(*args: object) -> None:
        try:
            handler(*args)
        except Exception as error:
            status.show(str(error) or type(error).__name__, "error")
    return call


def decimals_needed(values: Iterable[float], most: int = 6) -> int:
    """Fewest decimals that write every one of ``values`` exactly (to 1e-9), at most ``most``.

    Examples
    --------
    >>> from spikewidgets.panel._common import decimals_needed
    >>> decimals_needed([10.0, 65.0, 5.0]), decimals_needed([10, 12.5]), decimals_needed([0.1 * 3])
    (0, 1, 1)
    """
    numbers = [float(value) for value in values]
    for decimals in range(most + 1):
        if all(abs(round(number, decimals) - number) <= 1e-9 * max(1.0, abs(number))
               for number in numbers):
            return decimals
    return most


def factor_labels(factors: Iterable[float]) -> list[str]:
    """Scaling factors as text, all with the decimals their grid needs (none for whole numbers).

    Examples
    --------
    >>> from spikewidgets.panel._common import factor_labels
    >>> factor_labels([10.0, 15.0, 20.0])
    ['10', '15', '20']
    >>> factor_labels([10.0, 12.5, 15.0])
    ['10.0', '12.5', '15.0']
    """
    numbers = [float(factor) for factor in factors]
    decimals = decimals_needed(numbers)
    return [f"{number:.{decimals}f}" for number in numbers]


def check_factor_index(name: str, index: int, count: int, where: str) -> int:
    """``index`` if it is -1 (none) or one of ``count`` scaling factors, else a TraitError.

    Parameters
    ----------
    name : str
        The trait, for the message.
    index : int
        The proposed index.
    count : int
        How many scaling factors there are.
    where : str
        Where they are, for the message ("shown", "of the search").

    Examples
    --------
    >>> from spikewidgets.panel._common import check_factor_index
    >>> check_factor_index("selected_index", 2, 3, "shown")
    2
    >>> from traitlets import TraitError
    >>> for index, count in ((3, 3), (0, 0)):
    ...     try:
    ...         check_factor_index("factor_index", index, count, "of the search")
    ...     except TraitError as error:
    ...         print(error)
    factor_index is 3, expected -1 (none) or 0 to 2 (3 scaling factors of the search)
    factor_index is 0, expected -1 (none): no scaling factor of the search yet
    """
    index = int(index)
    if index == NO_FACTOR or 0 <= index < count:
        return index
    if count == 0:
        raise traitlets.TraitError(f"{name} is {index}, expected -1 (none): no scaling factor "
                                   f"{where} yet")
    raise traitlets.TraitError(f"{name} is {index}, expected -1 (none) or 0 to {count - 1} "
                               f"({plural(count, 'scaling factor')} {where})")
