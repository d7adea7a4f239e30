/* Where answered trials go: the collection server (`varemotion serve`) or a JATOS server (jatos.js).
 *
 * Each transport has send(record) → Promise, as window.VaremotionDelivery expects. An error
 * that retrying cannot mend (the server refused the record with a 4xx) has `permanent` set.
 */
(function () {
  "use strict";

  function failure(message, permanent) {
    var error = new Error(message);
    error.permanent = permanent;
    return error;
  }

  /* POST a JSON body; resolves with the parsed answer, rejects with a (possibly permanent) error. */
  function postJson(url, body) {
    return window.fetch(url, {
      method: "POST",
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify(body),
      cache: "no-store"
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (answer) {
        if (response.ok) {
          return answer;
        }
        // 408 and 429 ask to come back later; other 4xx will be refused again.
        var permanent = response.status >= 400 && response.status < 500 &&
          response.status !== 408 && response.status !== 429;
        throw failure(answer.error || ("HTTP " + response.status), permanent);
      });
    }, function (error) {
      throw failure("the server cannot be reached (" + error.message + ")", false);
    });
  }

  function serverTransport(api) {
    return {
      send: function (record) { return postJson(api + "/trials", record); }
    };
  }

  /* Open the session, retrying with back-off while the server is unreachable; rejects on a refusal. */
  function startServerSession(api, identity, onWait) {
    var attempt = 0;
    return new Promise(function (resolve, reject) {
      function tryOnce() {
        postJson(api + "/sessions", identity).then(resolve, function (error) {
          if (error.permanent) {
            reject(error);
            return;
          }
          attempt += 1;
          onWait(attempt);
          window.setTimeout(tryOnce, Math.min(10000, 500 * Math.pow(2, attempt)));
        });
      }
      tryOnce();
    });
  }

  /* One JSON line per trial, appended to this component's result data (JATOS keeps what was sent). */
  function jatosTransport() {
    return {
      send: function (record) {
        return window.jatos.appendResultData(JSON.stringify(record) + "\n").catch(function (error) {
          throw failure("JATOS did not store the answer (" + error + ")", false);
        });
      }
    };
  }

  window.VaremotionTransports = {
    server: serverTransport,
    startServerSession: startServerSession,
    jatos: jatosTransport
  };
})();
