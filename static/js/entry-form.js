/*
 * The entry form: show the input of the chosen kind only, and count the characters of a text.
 *
 * Without this file every input shows and the server keeps the content of the chosen kind.
 * The counter counts as the server does (a line break is one character, an emoji one); a
 * screen reader hears it when typing pauses, not at every key. upload-progress.js sends
 * "pp:replaced" after it swaps the form for the server's answer, and this runs again.
 */
(function () {
  "use strict";

  function kinds(form) {
    var radios = form.querySelectorAll("input[type=radio][name=kind]");
    var panels = form.querySelectorAll("[data-kind-panel]");
    if (!radios.length || !panels.length) {
      return;
    }
    function show() {
      var checked = form.querySelector("input[type=radio][name=kind]:checked");
      panels.forEach(function (panel) {
        panel.hidden = checked !== null && panel.getAttribute("data-kind-panel") !== checked.value;
      });
    }
    radios.forEach(function (radio) {
      radio.addEventListener("change", show);
    });
    show();
  }

  function counter(output) {
    var input = document.getElementById(output.getAttribute("data-char-count-for"));
    var limit = input && parseInt(input.getAttribute("maxlength"), 10);
    if (!input || !limit) {
      return;
    }
    var spoken = document.createElement("span");
    spoken.className = "visually-hidden";
    spoken.setAttribute("aria-live", "polite");
    output.parentNode.insertBefore(spoken, output.nextSibling);
    var visible = document.createElement("span");
    visible.setAttribute("aria-hidden", "true");
    output.replaceChildren(visible);
    var pause;

    function text() {
      var count = Array.from(input.value.replace(/\r\n/g, "\n")).length;
      var left = limit - count;
      var key = left >= 0 ? (left === 1 ? "data-left-one" : "data-left-many")
        : (left === -1 ? "data-over-one" : "data-over-many");
      output.classList.toggle("char-count--over", left < 0);
      output.classList.toggle("char-count--near", left >= 0 && left <= limit / 10);
      return output.getAttribute(key).replace("{count}", String(Math.abs(left)));
    }
    function update() {
      visible.textContent = text();
      window.clearTimeout(pause);
      pause = window.setTimeout(function () {
        spoken.textContent = text();
      }, 1000);
    }
    input.addEventListener("input", update);
    visible.textContent = text();
    output.hidden = false;
  }

  function enhance(root) {
    root.querySelectorAll("form.entry-form").forEach(kinds);
    root.querySelectorAll("[data-char-count-for]").forEach(counter);
  }

  enhance(document);
  document.addEventListener("pp:replaced", function (event) {
    enhance(event.target);
  });
})();
