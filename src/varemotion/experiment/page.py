"""The static files of the jsPsych experiment page: ``index.html`` and its logic, ``experiment.js``.

``index.html`` loads the jsPsych builds from ``lib/``, the design from ``timeline.js`` (which sets
``window.VAREMOTION_DESIGN``) and then ``experiment.js``. Everything is local, so the page works
from a folder opened with ``file://`` as well as from a web server.

``experiment.js`` reads ``?participant=<subject_id>`` from the address: without it the page lists
one link per participant; with an unknown id it says so; otherwise it runs that participant's
session (welcome, preload, the rating trials in design order, thank-you) and saves jsPsych's data
as ``varemotion_<subject_id>.csv``.
"""

from __future__ import annotations

import html
from string import Template

#: The scripts of ``lib/`` in the order the page loads them (jsPsych before its plugins).
LIB_SCRIPTS = (
    "jspsych.js",
    "plugin-html-button-response.js",
    "plugin-image-button-response.js",
    "plugin-preload.js",
)
LIB_STYLESHEET = "jspsych.css"

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
<script src="experiment.js"></script>
</body>
</html>
""")


def index_html(title: str) -> str:
    """The experiment's ``index.html`` with ``title`` as the page title."""
    scripts = "\n".join(f'<script src="lib/{name}"></script>' for name in LIB_SCRIPTS)
    return _INDEX_HTML.substitute(title=html.escape(title), stylesheet=LIB_STYLESHEET, scripts=scripts)


EXPERIMENT_JS = r"""/* Rating experiment: one participant's session, chosen with ?participant=<subject_id>. */
(function () {
  "use strict";

  var design = window.VAREMOTION_DESIGN;

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }

  function showMessage(innerHtml) {
    var box = document.createElement("div");
    box.id = "varemotion-message";
    box.innerHTML = innerHtml;
    document.body.appendChild(box);
  }

  function participantLink(participant) {
    var href = "?participant=" + encodeURIComponent(participant.subject_id);
    return '<li><a href="' + escapeHtml(href) + '">' + escapeHtml(participant.subject_id) + "</a> (" +
      participant.trials.length + " trials)</li>";
  }

  function listParticipants() {
    showMessage("<h1>" + escapeHtml(design.title) + "</h1><p>Choose the participant whose session to run:</p>" +
      '<ul id="varemotion-participants">' + design.participants.map(participantLink).join("") + "</ul>");
  }

  function unknownParticipant(id) {
    var known = design.participants.map(function (p) { return p.subject_id; }).join(", ");
    showMessage('<h1>Unknown participant</h1><p id="varemotion-error">There is no participant "' +
      escapeHtml(id) + '" in this experiment. Its participants are: ' + escapeHtml(known) + ".</p>" +
      '<p><a href="?">Show the list of participants</a></p>');
  }

  function findParticipant(id) {
    for (var i = 0; i < design.participants.length; i++) {
      if (design.participants[i].subject_id === id) {
        return design.participants[i];
      }
    }
    return null;
  }

  function buttonHtml(choice) {
    return '<button type="button" class="jspsych-btn">' + escapeHtml(choice) + "</button>";
  }

  function trialData(trial) {
    if (trial.is_catch) {
      return {catch_id: trial.catch_id, expected_response: trial.expected_response, is_train: false,
        design_trial_index: trial.design_trial_index};
    }
    return {stimulus_id: trial.stimulus_id, is_train: trial.is_train, design_trial_index: trial.design_trial_index};
  }

  function ratingTrial(trial) {
    return {
      type: jsPsychImageButtonResponse,
      stimulus: trial.image,
      stimulus_height: design.image_height,
      render_on_canvas: false,
      choices: design.button_labels,
      button_html: buttonHtml,
      button_layout: "flex",
      prompt: '<p class="varemotion-prompt">' + escapeHtml(design.prompt) + "</p>",
      data: trialData(trial)
    };
  }

  function welcomeTrial(participant) {
    return {
      type: jsPsychHtmlButtonResponse,
      stimulus: "<h1>" + escapeHtml(design.title) + "</h1><p>You will see " + participant.trials.length +
        " faces, one at a time. For each face, click the button naming the emotion it shows.</p>",
      choices: ["Start"],
      button_layout: "flex"
    };
  }

  function thanksTrial(jsPsych, fileName) {
    var save = function () { jsPsych.data.get().localSave("csv", fileName); };
    return {
      type: jsPsychHtmlButtonResponse,
      stimulus: "<h1>Thank you!</h1><p>Your answers have been saved as <code>" + escapeHtml(fileName) +
        '</code>.</p><p><button type="button" class="jspsych-btn" id="varemotion-save-again">' +
        "Save the answers again</button></p>",
      choices: [],
      button_layout: "flex",
      on_load: function () {
        save();
        document.getElementById("varemotion-save-again").addEventListener("click", save);
      }
    };
  }

  function runSession(participant) {
    var jsPsych = initJsPsych();
    var fileName = "varemotion_" + participant.subject_id + ".csv";
    jsPsych.data.addProperties({subject_id: participant.subject_id});
    var preload = {
      type: jsPsychPreload,
      images: participant.trials.map(function (t) { return t.image; }),
      show_detailed_errors: true,
      message: "<p>Loading the faces…</p>"
    };
    var timeline = [welcomeTrial(participant), preload].concat(participant.trials.map(ratingTrial));
    timeline.push(thanksTrial(jsPsych, fileName));
    jsPsych.run(timeline);
  }

  var id = new URLSearchParams(window.location.search).get("participant");
  if (!design) {
    showMessage('<p id="varemotion-error">The experiment\'s design (timeline.js) did not load.</p>');
  } else if (id === null || id === "") {
    listParticipants();
  } else if (findParticipant(id) === null) {
    unknownParticipant(id);
  } else {
    runSession(findParticipant(id));
  }
})();
"""
