/*
 * Privacy-friendly video: nothing is loaded from the video host until the visitor asks.
 *
 * The page shows a link to the video on its host. Here a button is added next to it; pressing
 * it puts the host's player (the address in data-embed-url, made by the server from a checked
 * video id) in an <iframe>. Until then the page makes no request to the host.
 */
(function () {
  "use strict";

  document.querySelectorAll("[data-video-facade]").forEach(function (facade) {
    var embed = facade.getAttribute("data-embed-url");
    if (!embed || !/^https:\/\//.test(embed)) {
      return;
    }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button button--primary video-facade__play";
    button.textContent = facade.getAttribute("data-play-label");
    var link = facade.querySelector(".video-facade__link");
    if (link) {
      link.classList.remove("button--primary");
      link.classList.add("button--secondary");
      link.parentNode.insertBefore(button, link);
    } else {
      facade.appendChild(button);
    }

    button.addEventListener("click", function () {
      var frame = document.createElement("iframe");
      frame.src = embed + (embed.indexOf("?") === -1 ? "?" : "&") + "autoplay=1";
      frame.title = facade.getAttribute("data-frame-title") || "";
      frame.className = "video-facade__frame";
      frame.allow = "autoplay; encrypted-media; picture-in-picture; fullscreen";
      frame.allowFullscreen = true;
      frame.referrerPolicy = "strict-origin-when-cross-origin";
      facade.classList.add("video-facade--playing");
      button.remove();
      facade.querySelectorAll(".video-facade__icon, .video-facade__note").forEach(function (e) {
        e.remove();
      });
      facade.insertBefore(frame, facade.firstChild);
      frame.focus();
    });
  });
})();
