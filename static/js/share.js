/*
 * The share panel, enhanced: "Copy link" and the phone's share sheet (Web Share API).
 *
 * Both buttons ship with the `hidden` attribute: without JavaScript the panel still has the
 * link (selectable) and plain links to each network. "Copy link" appears when a clipboard is
 * available, "Share…" only where navigator.share exists (mostly phones). Each copies or shares
 * the link tagged with its own channel (?c=copy, ?c=native), from its data-share-url.
 */
(function () {
  "use strict";

  function announce(panel, key) {
    var status = panel.querySelector("[data-share-status]");
    if (status) {
      status.textContent = status.getAttribute(key) || "";
    }
  }

  function selectInput(panel) {
    var input = panel.querySelector("[data-share-input]");
    if (input) {
      input.focus();
      input.select();
    }
  }

  document.querySelectorAll(".share-panel").forEach(function (panel) {
    var copy = panel.querySelector("[data-share-copy]");
    if (copy && navigator.clipboard && window.isSecureContext) {
      copy.hidden = false;
      copy.addEventListener("click", function () {
        navigator.clipboard.writeText(copy.getAttribute("data-share-url")).then(
          function () {
            announce(panel, "data-copied");
          },
          function () {
            announce(panel, "data-copy-failed");
            selectInput(panel);
          }
        );
      });
    }

    var native = panel.querySelector("[data-share-native]");
    if (native && typeof navigator.share === "function") {
      var data = {
        title: native.getAttribute("data-share-title") || "",
        text: native.getAttribute("data-share-text") || "",
        url: native.getAttribute("data-share-url"),
      };
      if (!navigator.canShare || navigator.canShare(data)) {
        native.hidden = false;
        native.addEventListener("click", function () {
          navigator.share(data).catch(function () {
            /* The person closed the share sheet: nothing to do. */
          });
        });
      }
    }
  });
})();
