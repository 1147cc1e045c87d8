/*
 * Brand pages. Progressive enhancement only: every page works without this file.
 *
 * A slug input with data-slug-from="<id of the title input>" follows the title as it is typed,
 * until the person edits the slug themselves (or it already had a value).
 */
(function () {
  "use strict";

  function slugify(text) {
    return text
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .replace(/[^a-z0-9_\s-]/g, "")
      .trim()
      .replace(/[\s-]+/g, "-")
      .slice(0, 80)
      .replace(/^[-_]+|[-_]+$/g, "");
  }

  document.querySelectorAll("input[data-slug-from]").forEach(function (slug) {
    var title = document.getElementById(slug.getAttribute("data-slug-from"));
    if (!title || slug.disabled) {
      return;
    }
    var follow = slug.value === "" || slug.value === slugify(title.value);
    slug.addEventListener("input", function () {
      follow = slug.value === "";
    });
    title.addEventListener("input", function () {
      if (follow) {
        slug.value = slugify(title.value);
      }
    });
  });
})();
