/*
 * Show <time data-local-time datetime="ISO"> in the browser's own time zone.
 *
 * The server writes the moment in the brand's time zone, named, so the page is right without
 * this file; here it is rewritten as the viewer's local date and time, with the zone's name.
 */
(function () {
  "use strict";

  var lang = document.documentElement.lang || undefined;
  var format;
  var zone;
  try {
    format = new Intl.DateTimeFormat(lang, { dateStyle: "long", timeStyle: "short" });
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (error) {
    return; // an old browser keeps the server's text
  }

  document.querySelectorAll("time[data-local-time]").forEach(function (element) {
    var moment = new Date(element.getAttribute("datetime"));
    if (isNaN(moment.getTime())) {
      return;
    }
    element.title = element.textContent.trim();
    element.textContent = format.format(moment) + (zone ? " (" + zone.replace(/_/g, " ") + ")" : "");
  });
})();
