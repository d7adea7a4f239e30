"""The static files of the jsPsych experiment page: ``index.html``, ``collection.js`` and the page's scripts.

``index.html`` loads the jsPsych builds from ``lib/``, ``collection.js`` (where answers go: it
sets ``window.VAREMOTION_COLLECTION``), the page's scripts, the design from ``timeline.js``
(which sets ``window.VAREMOTION_DESIGN``) and then ``experiment.js``. Everything is local, so the
page works from a folder opened with ``file://`` as well as from a web server.

The scripts live in ``varemotion/experiment/js/`` (:data:`PAGE_SCRIPTS`): ``delivery.js`` keeps
answered trials in localStorage and sends them with back-off, ``transports.js`` posts them to the
collection server or to JATOS, and ``experiment.js`` runs one participant's session (see its
opening comment). The exported ``collection.js`` says ``offline``: the page keeps the answers
and saves them as ``varemotion_<subject_id>.csv`` at the end. ``varemotion serve`` answers
``collection.js`` itself with the ``server`` mode, and the JATOS study sets the ``jatos`` mode.
"""

from __future__ import annotations

import html
import json
from importlib import resources
from string import Template

#: The scripts of ``lib/`` in the order the page loads them (jsPsych before its plugins).
LIB_SCRIPTS = (
    "jspsych.js",
    "plugin-html-button-response.js",
    "plugin-image-button-response.js",
    "plugin-preload.js",
)
LIB_STYLESHEET = "jspsych.css"
#: The page's own scripts, loaded after jsPsych and collection.js (experiment.js last, from the body).
PAGE_SCRIPTS = ("delivery.js", "transports.js", "experiment.js")
COLLECTION_SCRIPT = "collection.js"

_INDEX_HTML = Template("""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title</title>
<link rel="stylesheet" href="lib/$stylesheet">
<style>
  #varemotion-message { max-width: 40em; margin: 3em auto; font-family: sans-serif; line-height: 1.5; }
  #varemotion-message li { margin: 0.3em 0; }
  .varemotion-prompt { margin-top: 1em; }
</style>
$scripts
<script src="timeline.js"></script>
</head>
<body>
<noscript><p>This experiment needs JavaScript.</p></noscript>
<script src="$main"></script>
</body>
</html>
""")


def index_html(title: str, first_scripts: tuple[str, ...] = ()) -> str:
    """The experiment's ``index.html`` with ``title`` as the page title; ``first_scripts`` load before all others."""
    sources = [*first_scripts, *(f"lib/{name}" for name in LIB_SCRIPTS), COLLECTION_SCRIPT, *PAGE_SCRIPTS[:-1]]
    scripts = "\n".join(f'<script src="{html.escape(src)}"></script>' for src in sources)
    return _INDEX_HTML.substitute(title=html.escape(title), stylesheet=LIB_STYLESHEET, scripts=scripts,
                                  main=PAGE_SCRIPTS[-1])


def page_script(name: str) -> str:
    """The text of one of :data:`PAGE_SCRIPTS`."""
    return resources.files("varemotion.experiment").joinpath("js", name).read_text(encoding="utf-8")


def collection_script(settings: dict) -> str:
    """``collection.js`` for ``settings`` (``mode``: offline, server or jatos, and the mode's options)."""
    return "window.VAREMOTION_COLLECTION = " + json.dumps(settings, sort_keys=True) + ";\n"


