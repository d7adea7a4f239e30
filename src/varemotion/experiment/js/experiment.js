/* Rating experiment: one participant's session.
 *
 * The design comes from timeline.js (window.VAREMOTION_DESIGN), where the answers go from
 * collection.js (window.VAREMOTION_COLLECTION): `offline` (kept in the browser and saved as a CSV
 * file at the end), `server` (posted to `varemotion serve` trial by trial) or `jatos` (appended
 * to the JATOS result data trial by trial). The participant comes from the address:
 * ?participant=<subject_id>, or Prolific's PROLIFIC_PID, STUDY_ID and SESSION_ID, for which the
 * server assigns a participant of the design. Answered trials are kept in localStorage, so a
 * reload resumes at the first unanswered trial.
 */
(function () {
  "use strict";

  var design = window.VAREMOTION_DESIGN;
  var collection = window.VAREMOTION_COLLECTION || {mode: "offline"};
  var PROLIFIC_FIELDS = {PROLIFIC_PID: "prolific_pid", STUDY_ID: "study_id", SESSION_ID: "session_id"};
  var REDIRECT_DELAY_MS = 3000;

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }

  function showMessage(innerHtml) {
    var box = document.getElementById("varemotion-message");
    if (box === null) {
      box = document.createElement("div");
      box.id = "varemotion-message";
      document.body.appendChild(box);
    }
    box.innerHTML = innerHtml;
  }

  function clearMessage() {
    var box = document.getElementById("varemotion-message");
    if (box !== null) {
      box.parentNode.removeChild(box);
    }
  }

  function showError(title, text) {
    showMessage("<h1>" + escapeHtml(title) + '</h1><p id="varemotion-error">' + escapeHtml(text) + "</p>");
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

  /* participant= and Prolific's ids from an address's parameters (get: name → value or null). */
  function urlIdentity(get) {
    var identity = {};
    if (get("participant")) {
      identity.participant = get("participant");
    }
    Object.keys(PROLIFIC_FIELDS).forEach(function (name) {
      if (get(name)) {
        identity[PROLIFIC_FIELDS[name]] = get(name);
      }
    });
    return identity;
  }

  /* The answer buttons in order: one per emotion, then the non-emotion answers (index len(emotions) + k). */
  function answerButtons() {
    return design.button_labels.concat(design.non_emotion_labels || []);
  }

  function buttonHtml(choice) {
    return '<button type="button" class="jspsych-btn">' + escapeHtml(choice) + "</button>";
  }

  function trialData(trial, subjectId) {
    var data = {subject_id: subjectId, is_train: trial.is_train, design_trial_index: trial.design_trial_index};
    if (trial.is_catch) {
      data.catch_id = trial.catch_id;
      data.expected_response = trial.expected_response;
    } else {
      data.stimulus_id = trial.stimulus_id;
    }
    return data;
  }

  /* What the collection server or JATOS stores of one answered trial. */
  function answerBody(session, data) {
    var body = {subject_id: session.subjectId, trial_index: data.design_trial_index, response: data.response,
      rt: data.rt, is_train: data.is_train};
    if (data.catch_id !== undefined) {
      body.catch_id = data.catch_id;
      body.expected_response = data.expected_response;
    } else {
      body.stimulus_id = data.stimulus_id;
    }
    Object.keys(session.extraFields).forEach(function (key) { body[key] = session.extraFields[key]; });
    return body;
  }

  function ratingTrial(trial, session) {
    return {
      type: jsPsychImageButtonResponse,
      stimulus: trial.image,
      stimulus_height: design.image_height,
      render_on_canvas: false,
      choices: answerButtons(),
      button_html: buttonHtml,
      button_layout: "flex",
      prompt: '<p class="varemotion-prompt">' + escapeHtml(design.prompt) + "</p>",
      data: trialData(trial, session.subjectId),
      on_finish: function (data) {
        session.delivery.push(data.design_trial_index, answerBody(session, data), data);
      }
    };
  }

  function welcomeTrial(participant, done) {
    var total = participant.trials.length;
    var text = done ? "<p>Welcome back. You have answered " + done + " of " + total +
      " faces; the next one follows where you stopped.</p>" :
      "<p>You will see " + total + " faces, one at a time. For each face, click the button naming the " +
      "emotion it shows.</p>";
    return {
      type: jsPsychHtmlButtonResponse,
      stimulus: "<h1>" + escapeHtml(design.title) + "</h1>" + text,
      choices: [done ? "Continue" : "Start"],
      button_layout: "flex"
    };
  }

  function deliveryStatus(unsent, refused) {
    if (unsent) {
      return "Sending your answers to the server… (" + unsent + " still to send; please keep this page open)";
    }
    if (refused) {
      return "The server refused " + refused + " of your answers; please save a copy and send it to the experimenter.";
    }
    return "All your answers have been received.";
  }

  /* Once every answer is stored: go to the completion address (JATOS: end the study) after a moment. */
  function finish(session) {
    var leave = collection.mode === "jatos" ? function () { window.jatos.endStudy(); } :
      design.completion_url ? function () { window.location.assign(design.completion_url); } : null;
    if (leave === null || session.finishing) {
      return;
    }
    session.finishing = true;
    var link = document.getElementById("varemotion-finish");
    link.style.display = "";
    link.addEventListener("click", function (event) { event.preventDefault(); leave(); });
    window.setTimeout(leave, REDIRECT_DELAY_MS);
  }

  function thanksTrial(jsPsych, session) {
    var fileName = "varemotion_" + session.subjectId + ".csv";
    var offline = collection.mode === "offline";
    var save = function () { jsPsych.data.get().localSave("csv", fileName); };
    var status = offline ? "Your answers have been saved as <code>" + escapeHtml(fileName) + "</code>." :
      escapeHtml(deliveryStatus(session.delivery.unsent().length, 0));
    return {
      type: jsPsychHtmlButtonResponse,
      stimulus: '<h1>Thank you!</h1><p id="varemotion-status">' + status + "</p>" +
        '<p><button type="button" class="jspsych-btn" id="varemotion-save-again">' +
        (offline ? "Save the answers again" : "Save a copy of your answers") + "</button></p>" +
        '<p><a id="varemotion-finish" href="#" style="display: none">Finish</a></p>',
      choices: [],
      button_layout: "flex",
      on_load: function () {
        document.getElementById("varemotion-save-again").addEventListener("click", save);
        if (offline) {
          save();
          return;
        }
        session.delivery.onChange(function (unsent) {
          document.getElementById("varemotion-status").textContent = deliveryStatus(unsent, session.delivery.refused());
          if (!unsent) {
            finish(session);
          }
        });
        session.delivery.sendNow();
      }
    };
  }

  /* Run the trials not yet answered (here or, as the server says, elsewhere), then the end screen. */
  function runSession(participant, session, answeredElsewhere) {
    var answered = {};
    session.delivery.answered().concat(answeredElsewhere || []).forEach(function (i) { answered[i] = true; });
    var remaining = participant.trials.filter(function (t) { return !answered[t.design_trial_index]; });
    var done = participant.trials.length - remaining.length;
    var jsPsych = initJsPsych();
    jsPsych.data.addProperties({subject_id: session.subjectId});
    session.delivery.dataRows().forEach(function (row) { jsPsych.data.get().push(row); });
    var timeline = [];
    if (remaining.length) {
      timeline.push(welcomeTrial(participant, done), {
        type: jsPsychPreload,
        images: remaining.map(function (t) { return t.image; }),
        show_detailed_errors: true,
        message: "<p>Loading the faces…</p>"
      });
      timeline = timeline.concat(remaining.map(function (t) { return ratingTrial(t, session); }));
    }
    timeline.push(thanksTrial(jsPsych, session));
    clearMessage();
    jsPsych.run(timeline);
    session.delivery.sendNow();
  }

  function newSession(subjectId, transport, extraFields) {
    var key = "varemotion:" + design.design_id + ":" + subjectId;
    return {subjectId: subjectId, extraFields: extraFields || {},
      delivery: new window.VaremotionDelivery(key, transport, collection)};
  }

  function runOffline(identity) {
    if (!identity.participant) {
      listParticipants();
    } else if (findParticipant(identity.participant) === null) {
      unknownParticipant(identity.participant);
    } else {
      runSession(findParticipant(identity.participant), newSession(identity.participant, null));
    }
  }

  function runWithServer(identity) {
    if (!identity.participant && !identity.prolific_pid) {
      showError("No participant", "This address does not say who takes part: open the link you were given " +
        "(it ends in ?participant=… or carries your Prolific ID).");
      return;
    }
    showMessage('<p id="varemotion-connecting">Connecting to the server…</p>');
    var api = collection.api || "api";
    window.VaremotionTransports.startServerSession(api, identity, function (attempt) {
      showMessage('<p id="varemotion-connecting">Waiting for the server (attempt ' + attempt + ")…</p>");
    }).then(function (answer) {
      var session = newSession(answer.subject_id, window.VaremotionTransports.server(api));
      session.delivery.markDelivered(answer.answered);
      runSession(findParticipant(answer.subject_id), session, answer.answered);
    }, function (error) {
      showError("The session cannot start", error.message);
    });
  }

  /* JATOS: the design participant is participant= if given, else one chosen by the study result id. */
  function runWithJatos() {
    window.jatos.onLoad(function () {
      var params = window.jatos.urlQueryParameters || {};
      var identity = urlIdentity(function (name) { return params[name] || null; });
      var count = design.participants.length;
      var run = Math.abs(Math.floor(Number(window.jatos.studyResultId))) || 0;
      var participant = identity.participant ? findParticipant(identity.participant) :
        design.participants[run % count];
      if (participant === null) {
        unknownParticipant(identity.participant);
        return;
      }
      var subjectId = identity.participant || identity.prolific_pid || "jatos-" + window.jatos.workerId;
      var extra = {design_subject_id: participant.subject_id, jatos_worker_id: String(window.jatos.workerId),
        jatos_study_result_id: String(window.jatos.studyResultId)};
      ["prolific_pid", "study_id", "session_id"].forEach(function (key) {
        if (identity[key]) {
          extra[key] = identity[key];
        }
      });
      runSession(participant, newSession(subjectId, window.VaremotionTransports.jatos(), extra));
    });
  }

  if (!design) {
    showMessage('<p id="varemotion-error">The experiment\'s design (timeline.js) did not load.</p>');
  } else if (collection.mode === "jatos") {
    runWithJatos();
  } else {
    var query = new URLSearchParams(window.location.search);
    var identity = urlIdentity(function (name) { return query.get(name); });
    if (collection.mode === "server") {
      runWithServer(identity);
    } else {
      runOffline(identity);
    }
  }
})();
