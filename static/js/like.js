/*
 * Like buttons, enhanced: like and unlike without leaving the page.
 *
 * Each button is a plain form (POST /entries/<id>/like/, `action=unlike` to withdraw), so it
 * works without this file: the page comes back with a message. Here the same choice goes to the
 * API instead (POST or DELETE on the form's data-api-url, the CSRF token taken from the form),
 * and the button's aria-pressed, its label and the count change in place. The result is said in
 * the widget's aria-live region; a refusal says the service's own message. If the request
 * cannot be made at all, the form is sent the old way.
 */
(function () {
  "use strict";

  if (!window.fetch || !Element.prototype.closest) {
    return; // the forms work as they are
  }

  var lang = document.documentElement.lang || undefined;
  var plurals = null;
  try {
    plurals = new Intl.PluralRules(lang);
  } catch (error) {
    plurals = null;
  }

  function say(box, text) {
    var status = box.querySelector("[data-like-status]");
    if (!status) {
      return;
    }
    // Cleared first, then written in a later task: the same words twice are still announced.
    status.textContent = "";
    window.setTimeout(function () {
      status.textContent = text;
    }, 60);
  }

  function changeCount(box, delta) {
    var count = box.querySelector("[data-like-count]");
    if (!count || !delta) {
      return;
    }
    var n = Math.max(0, (parseInt(count.getAttribute("data-count"), 10) || 0) + delta);
    var one = plurals ? plurals.select(n) === "one" : n === 1;
    var template = count.getAttribute(one ? "data-one" : "data-other") || "%(counter)s";
    count.setAttribute("data-count", String(n));
    count.textContent = template.replace("%(counter)s", String(n));
  }

  function showLiked(form, box, liked) {
    form.querySelector("[data-like-button]").setAttribute("aria-pressed", liked ? "true" : "false");
    form.querySelector("[data-like-label]").textContent = form.getAttribute(
      liked ? "data-label-liked" : "data-label-like"
    );
    form.querySelector("[data-like-action]").value = liked ? "unlike" : "like";
    box.classList.toggle("like--liked", liked);
  }

  function token(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function send(form) {
    var box = form.closest(".like");
    var button = form.querySelector("[data-like-button]");
    if (form.getAttribute("data-busy") === "true") {
      return;
    }
    var liked = button.getAttribute("aria-pressed") === "true";
    form.setAttribute("data-busy", "true");
    fetch(form.getAttribute("data-api-url"), {
      method: liked ? "DELETE" : "POST",
      credentials: "same-origin",
      headers: {
        Accept: "application/json",
        "Content-Type": "application/json",
        "X-CSRFToken": token(form),
      },
      body: liked ? null : "{}",
    })
      .then(function (response) {
        if (response.status === 401) {
          form.submit(); // signed out meanwhile: the page asks to sign in again
          return null;
        }
        if (response.ok) {
          // 201 and 204: this click changed it; 200: it already was so (another tab).
          showLiked(form, box, !liked);
          if (response.status !== 200) {
            changeCount(box, liked ? -1 : 1);
          }
          say(box, form.getAttribute(liked ? "data-said-unliked" : "data-said-liked"));
          return null;
        }
        return response.json().then(
          function (body) {
            var error = body && body.error;
            say(box, (error && error.message) || form.getAttribute("data-said-failed"));
          },
          function () {
            say(box, form.getAttribute("data-said-failed"));
          }
        );
      })
      .catch(function () {
        say(box, form.getAttribute("data-said-failed"));
      })
      .then(function () {
        form.removeAttribute("data-busy");
      });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-like-form")) {
      return;
    }
    event.preventDefault();
    send(form);
  });
})();
