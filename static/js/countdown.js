/*
 * Tick the time left of <p data-countdown="ISO"> every second, in the page's language.
 *
 * The element holds a <strong data-countdown-left> the server filled in ("3 days, 4 hours"),
 * so the page says it without this file. At zero the paragraph reads its data-countdown-done.
 * The element has role="timer", which assistive technology does not announce at every tick.
 */
(function () {
  "use strict";

  var lang = document.documentElement.lang || undefined;
  var days;
  try {
    days = new Intl.NumberFormat(lang, { style: "unit", unit: "day", unitDisplay: "long" });
  } catch (error) {
    return;
  }

  function pad(number) {
    return String(number).padStart(2, "0");
  }

  function left(ms) {
    var seconds = Math.floor(ms / 1000);
    var d = Math.floor(seconds / 86400);
    var clock = pad(Math.floor((seconds % 86400) / 3600)) + ":" +
      pad(Math.floor((seconds % 3600) / 60)) + ":" + pad(seconds % 60);
    return d > 0 ? days.format(d) + ", " + clock : clock;
  }

  document.querySelectorAll("[data-countdown]").forEach(function (element) {
    var deadline = new Date(element.getAttribute("data-countdown")).getTime();
    var value = element.querySelector("[data-countdown-left]");
    if (isNaN(deadline) || !value) {
      return;
    }
    var timer;
    function tick() {
      var ms = deadline - Date.now();
      if (ms <= 0) {
        window.clearInterval(timer);
        element.textContent = element.getAttribute("data-countdown-done") || "";
        return;
      }
      value.textContent = left(ms);
    }
    tick();
    timer = window.setInterval(tick, 1000);
  });
})();
