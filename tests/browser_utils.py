"""Running JupyterLab and headless Chromium for the browser tests.

JupyterLab runs on a free localhost port with its own config, runtime,
settings and workspace folders (a reused workspace reopens old tabs), no token,
and no news or update checks. Chromium is the Debian package, driven by the
Playwright Python package (``playwright install`` is never needed).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

#: BokehJS state read from the page: the data of the named ColumnDataSources.
READ_SOURCES_JS = """
(names) => {
  const found = {};
  const docs = (window.Bokeh && window.Bokeh.documents) || [];
  for (const doc of docs) {
    for (const model of doc.all_models) {
      if (!names.includes(model.name) || model.data === undefined) continue;
      const data = model.data;
      const columns = {};
      const keys = data instanceof Map ? [...data.keys()] : Object.keys(data);
      for (const key of keys) {
        const value = data instanceof Map ? data.get(key) : data[key];
        columns[key] = Array.from(value, (x) => (typeof x === "number" && !isFinite(x)) ? null : x);
      }
      found[model.name] = columns;   // the last document wins (re-rendered views)
    }
  }
  return found;
}
"""

#: Each title and axis label of the Bokeh figures in the page, or of those inside the
#: elements that match the CSS selector passed (null: all), as BokehJS lays them out: its
#: text, its width measured on a canvas in the font BokehJS draws it in (widest line), where
#: it starts and ends along its side, and the room there (the figure's canvas width for a
#: title or an x axis label, its height for a y axis label: what lies beyond is cut).
TEXT_FIT_JS = """
(scope) => {
  const context = document.createElement('canvas').getContext('2d');
  const widest = (text, font) => {
    context.font = font;
    return Math.max(...String(text).split('\\n').map((line) => context.measureText(line).width));
  };
  const fontOf = (model, prefix) => `${model[prefix + 'text_font_style']} `
    + `${model[prefix + 'text_font_size']} ${model[prefix + 'text_font']}`;
  const found = [];
  const seen = new Set();
  const measure = (plot) => {
    const [width, height] = [plot.bbox.width, plot.bbox.height];
    for (const view of plot.children()) {
      const model = view.model, box = view.bbox;
      if (!model.visible || box === undefined || !(box.width > 0 || box.height > 0)) continue;
      if (model.type === 'Title' && model.text) {
        const size = widest(model.text, fontOf(model, ''));
        const start = model.align === 'left' ? box.left + model.offset
          : model.align === 'right' ? box.right - model.offset - size
          : (box.left + box.right - size) / 2;
        found.push({figure: plot.model.name, kind: 'title', text: model.text, width: size,
                    start, end: start + size, room: width});
      } else if (model.axis_label) {
        const text = typeof model.axis_label === 'string' ? model.axis_label
          : model.axis_label.text;
        const size = widest(text, fontOf(model, 'axis_label_'));
        const y = plot.model.left.includes(model) || plot.model.right.includes(model);
        const centre = y ? (box.top + box.bottom) / 2 : (box.left + box.right) / 2;
        found.push({figure: plot.model.name, kind: y ? 'y axis label' : 'x axis label', text,
                    width: size, start: centre - size / 2, end: centre + size / 2,
                    room: y ? height : width});
      }
    }
  };
  const visit = (view) => {
    if (seen.has(view)) return;
    seen.add(view);
    if (view.frame !== undefined && view.canvas_view !== undefined) measure(view);
    if (typeof view.children === 'function') for (const child of view.children()) visit(child);
  };
  for (const view of Object.values((window.Bokeh && window.Bokeh.index) || {})) {
    if (view.el.isConnected && (!scope || view.el.closest(scope))) visit(view);
  }
  return found.map((text) => ({...text, width: Math.round(text.width * 10) / 10,
                               start: Math.round(text.start * 10) / 10,
                               end: Math.round(text.end * 10) / 10}));
}
"""


def cut_texts(texts: list[dict]) -> list[str]:
    """The texts of :data:`TEXT_FIT_JS`'s answer that do not fit their room, described."""
    return [f"{text['figure']}: {text['kind']} {text['text']!r} spans {text['start']:g} to "
            f"{text['end']:g} px of 0 to {text['room']:g}"
            for text in texts if text["start"] < 0 or text["end"] > text["room"]]


def find_chromium() -> str | None:
    """Path of the Chromium executable, or None."""
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def require_chromium(purpose: str) -> str:
    """The Chromium executable for a browser test; skip (fail in CI) if it or Playwright is missing.

    ``purpose`` names the test in the message, e.g. "the browser test of the panel".
    """
    from conftest import skip_or_fail

    executable = find_chromium()
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        executable, missing = None, "the playwright Python package"
    else:
        missing = "Chromium (apt-get install -y chromium)"
    if executable is None:
        skip_or_fail(f"{purpose} needs {missing}; never `playwright install`")
    return executable


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_notebook(path: Path, cells: list[str]) -> Path:
    """Write a notebook of code cells (no outputs) with the python3 kernel."""
    notebook = {
        "cells": [{"cell_type": "code", "execution_count": None, "id": f"cell-{index}",
                   "metadata": {}, "outputs": [], "source": source}
                  for index, source in enumerate(cells)],
        "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)",
                                    "language": "python", "name": "python3"},
                     "language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(notebook, indent=1))
    return path


class JupyterLab:
    """A JupyterLab server in its own process group, with isolated folders."""

    def __init__(self, root: Path, home: Path) -> None:
        self.root = root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = home / "jupyterlab.log"
        env = dict(os.environ)
        for variable, folder in (("JUPYTER_CONFIG_DIR", "config"),
                                 ("JUPYTER_RUNTIME_DIR", "runtime"),
                                 ("JUPYTERLAB_SETTINGS_DIR", "settings"),
                                 ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
                                 ("IPYTHONDIR", "ipython")):
            (home / folder).mkdir(parents=True, exist_ok=True)
            env[variable] = str(home / folder)
        notification = home / "settings" / "@jupyterlab" / "apputils-extension"
        notification.mkdir(parents=True, exist_ok=True)
        (notification / "notification.jupyterlab-settings").write_text(
            json.dumps({"fetchNews": "false", "checkForUpdates": False}))
        repo = str(Path(__file__).resolve().parents[1])
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [repo, env.get("PYTHONPATH")]))
        self.env = env

    def start(self, timeout: float = 60.0) -> JupyterLab:
        """Start the server and wait until ``/api/status`` answers."""
        command = [
            sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1",
            f"--port={self.port}", "--ServerApp.port_retries=0", "--IdentityProvider.token=",
            "--PasswordIdentityProvider.hashed_password=", "--allow-root",
            f"--ServerApp.root_dir={self.root}",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.expose_app_in_browser=True",
        ]
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(command, env=self.env, stdout=self._log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with code {self.process.returncode}:\n"
                                   f"{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/status", timeout=2) as answer:
                    if answer.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"JupyterLab did not answer within {timeout} s:\n{self.log()}")

    def log(self) -> str:
        """The server's output so far."""
        try:
            return self.log_path.read_text(errors="replace")[-5000:]
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGTERM the server; kill its process group if it does not end in 10 s."""
        process = getattr(self, "process", None)
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
        log = getattr(self, "_log", None)
        if log is not None:
            log.close()


def launch_chromium(playwright, profile: Path, executable: str):
    """A headless Chromium context with a fresh profile and no background traffic."""
    return playwright.chromium.launch_persistent_context(
        str(profile), executable_path=executable, headless=True, args=CHROMIUM_FLAGS,
        viewport={"width": 1280, "height": 1400}, device_scale_factor=1)
