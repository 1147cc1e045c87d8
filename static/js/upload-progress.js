/*
 * Upload progress for a form with data-upload-progress (the entry form).
 *
 * Without this file the form posts as usual. With it, the form data is sent by
 * XMLHttpRequest so the page can show how much has gone: a <progress> bar and, in an
 * aria-live region, the percentage in steps of ten. When the server answers with a redirect
 * (the entry is saved) the browser goes where it was sent (xhr.responseURL); when it refuses
 * (4xx) the form area is replaced by the one in its answer, errors included, and
 * "pp:replaced" is dispatched on it so other scripts enhance the new form.
 */
(function () {
  "use strict";

  var lang = document.documentElement.lang || undefined;
  var percent;
  try {
    percent = new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 0 });
  } catch (error) {
    percent = { format: function (x) { return Math.round(x * 100) + "%"; } };
  }

  function fileTooLarge(form) {
    var input = form.querySelector("input[type=file][data-max-bytes]");
    if (!input || !input.files || !input.files.length || input.closest("[hidden]")) {
      return false;
    }
    return input.files[0].size > parseInt(input.getAttribute("data-max-bytes"), 10);
  }

  function bind(form) {
    var area = document.getElementById("entry-form-area");
    var status = form.querySelector("[data-upload-status]");
    var bar = status && status.querySelector("progress");
    var text = status && status.querySelector("[data-upload-text]");
    var button = form.querySelector("button[type=submit]");
    if (!area || !status || !bar || !text || !window.FormData) {
      return;
    }

    function say(message, isError) {
      status.hidden = false;
      status.classList.toggle("upload-status--error", Boolean(isError));
      text.textContent = message;
    }

    function failed() {
      button.disabled = false;
      bar.hidden = true;
      say(form.getAttribute("data-failed-text"), true);
    }

    function replace(html) {
      var answer = new DOMParser().parseFromString(html, "text/html");
      var fresh = answer.getElementById("entry-form-area");
      if (!fresh) {
        failed();
        return;
      }
      area.replaceChildren.apply(area, Array.from(fresh.childNodes).map(function (node) {
        return document.adoptNode(node);
      }));
      var next = area.querySelector("form[data-upload-progress]");
      if (next) {
        bind(next);
      }
      area.dispatchEvent(new CustomEvent("pp:replaced", { bubbles: true }));
      area.focus();
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (fileTooLarge(form)) {
        bar.hidden = true;
        say(form.getAttribute("data-too-large-text"), true);
        return;
      }
      var xhr = new XMLHttpRequest();
      var announced = -1;
      xhr.open("POST", form.action);
      xhr.upload.addEventListener("progress", function (progress) {
        if (!progress.lengthComputable) {
          return;
        }
        var share = progress.loaded / progress.total;
        bar.value = Math.round(share * 100);
        var step = Math.floor(share * 10);
        if (step !== announced) {
          announced = step;
          say(form.getAttribute("data-sending-text") + " " + percent.format(step / 10));
        }
      });
      xhr.upload.addEventListener("load", function () {
        bar.value = 100;
        say(form.getAttribute("data-processing-text"));
      });
      xhr.addEventListener("load", function () {
        var redirected = xhr.responseURL && xhr.responseURL !== form.action;
        if (xhr.status < 400 && redirected) {
          window.location.assign(xhr.responseURL);
        } else if (xhr.status >= 400 && xhr.status < 500) {
          replace(xhr.responseText);
        } else {
          failed();
        }
      });
      xhr.addEventListener("error", failed);
      xhr.addEventListener("abort", failed);
      button.disabled = true;
      bar.hidden = false;
      bar.value = 0;
      say(form.getAttribute("data-sending-text") + " " + percent.format(0));
      xhr.send(new FormData(form));
    });
  }

  document.querySelectorAll("form[data-upload-progress]").forEach(bind);
})();
