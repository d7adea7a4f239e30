/* Delivery of answered trials: kept in localStorage until a transport has taken them, retried with back-off.
 *
 * window.VaremotionDelivery(storageKey, transport, options) keeps every answered trial of one
 * participant under storageKey, so that a reload finds them again: the page resumes at the first
 * unanswered trial and re-sends those that had not been delivered. Each trial is kept as its
 * design trial index, the body to send and jsPsych's data row (for the file saved at the end).
 * transport.send(body) returns a Promise that resolves when the trial is stored, and rejects with
 * an error whose `permanent` is true when retrying cannot help (the server refused the trial).
 * Without a transport (the offline page) the trials are only kept.
 */
(function () {
  "use strict";

  function load(key) {
    try {
      var state = JSON.parse(window.localStorage.getItem(key));
      if (state && state.records && state.sent) {
        return state;
      }
    } catch (error) {
      /* Unreadable storage starts afresh. */
    }
    return {records: {}, sent: {}, refused: {}};
  }

  function Delivery(key, transport, options) {
    options = options || {};
    this.key = key;
    this.transport = transport;
    this.state = load(key);
    this.state.refused = this.state.refused || {};
    this.minDelay = options.retryMinMs || 500;
    this.maxDelay = options.retryMaxMs || 10000;
    this.attempt = 0;
    this.busy = false;
    this.timer = null;
    this.listeners = [];
    var self = this;
    window.addEventListener("online", function () { self.sendNow(); });
  }

  Delivery.prototype.save = function () {
    try {
      window.localStorage.setItem(this.key, JSON.stringify(this.state));
    } catch (error) {
      /* Storage full or disabled: the records are still sent from memory. */
    }
  };

  /* The trial indices answered so far (sent or not), as numbers. */
  Delivery.prototype.answered = function () {
    return Object.keys(this.state.records).map(Number);
  };

  /* jsPsych's data rows of every kept trial, in trial order. */
  Delivery.prototype.dataRows = function () {
    var records = this.state.records;
    return this.answered().sort(function (a, b) { return a - b; }).map(function (i) { return records[i].data; });
  };

  /* Trial indices that the server already holds count as delivered. */
  Delivery.prototype.markDelivered = function (indices) {
    for (var i = 0; i < indices.length; i++) {
      if (this.state.records[indices[i]] !== undefined) {
        this.state.sent[indices[i]] = true;
      }
    }
    this.save();
  };

  Delivery.prototype.unsent = function () {
    var state = this.state;
    return this.answered().filter(function (i) { return !state.sent[i] && !state.refused[i]; })
      .sort(function (a, b) { return a - b; });
  };

  Delivery.prototype.refused = function () {
    return Object.keys(this.state.refused).length;
  };

  Delivery.prototype.push = function (index, body, data) {
    this.state.records[index] = {body: body, data: data};
    this.save();
    this.sendNow();
  };

  /* Calls listener(unsentCount) whenever a delivery attempt ends. */
  Delivery.prototype.onChange = function (listener) {
    this.listeners.push(listener);
  };

  Delivery.prototype.notify = function () {
    var count = this.transport ? this.unsent().length : 0;
    this.listeners.forEach(function (listener) { listener(count); });
  };

  Delivery.prototype.sendNow = function () {
    if (this.timer !== null) {
      window.clearTimeout(this.timer);
      this.timer = null;
    }
    this.pump();
  };

  Delivery.prototype.pump = function () {
    var self = this;
    var pending = this.unsent();
    if (!this.transport || this.busy || !pending.length) {
      this.notify();
      return;
    }
    this.busy = true;
    var index = pending[0];
    this.transport.send(this.state.records[index].body).then(function () {
      self.state.sent[index] = true;
      self.attempt = 0;
      self.save();
      self.busy = false;
      self.pump();
    }, function (error) {
      self.busy = false;
      if (error && error.permanent) {
        self.state.refused[index] = String(error.message || error);
        self.save();
        self.pump();
        return;
      }
      self.retryLater();
    });
  };

  /* Exponential back-off with jitter, so that many browsers do not all retry at the same moment. */
  Delivery.prototype.retryLater = function () {
    var self = this;
    var delay = Math.min(this.maxDelay, this.minDelay * Math.pow(2, this.attempt));
    this.attempt += 1;
    this.notify();
    this.timer = window.setTimeout(function () {
      self.timer = null;
      self.pump();
    }, delay * (0.75 + 0.5 * Math.random()));
  };

  window.VaremotionDelivery = Delivery;
})();
