// Warns before the session's idle end, offers to keep it, and leaves for the sign-in page once
// it has ended. Any request of the page (htmx included) starts the idle clock again.
(function () {
  const box = document.getElementById("session-warning");
  if (!box) return;
  const idle = Number(box.dataset.idleSeconds) * 1000;
  const warning = Number(box.dataset.warningSeconds) * 1000;
  let warnTimer, endTimer;

  function start() {
    clearTimeout(warnTimer);
    clearTimeout(endTimer);
    box.hidden = true;
    warnTimer = setTimeout(() => {
      box.hidden = false;
      document.getElementById("session-keep").focus();
    }, Math.max(idle - warning, 0));
    endTimer = setTimeout(() => {
      window.location.assign(box.dataset.signedOut + "?next=" +
        encodeURIComponent(window.location.pathname + window.location.search));
    }, idle);
  }

  document.getElementById("session-keep").addEventListener("click", () => {
    const token = document.querySelector("input[name=csrfmiddlewaretoken]");
    fetch(box.dataset.keepAlive, {
      method: "POST", credentials: "same-origin",
      headers: {"X-CSRFToken": token ? token.value : ""},
    }).then((response) => { if (response.ok) start(); });
  });
  document.body.addEventListener("htmx:afterRequest", start);
  start();
})();
