// poscert HTML report: filters, expand/collapse, and links that open what they point at.
// Inline and self-contained: it fetches nothing. The page reads fine without it.
(function () {
  "use strict";
  function reveal(id, scroll) {
    var el = id && document.getElementById(id);
    if (!el) return;
    for (var p = el; p; p = p.parentElement) {
      if (p.tagName === "DETAILS") p.open = true;
      if (p.hidden) p.hidden = false;
    }
    el.classList.add("flash");
    setTimeout(function () { el.classList.remove("flash"); }, 1600);
    if (scroll) el.scrollIntoView({ block: "center" });
  }
  document.addEventListener("click", function (e) {
    var a = e.target.closest && e.target.closest("a[href^='#']");
    if (!a) return;
    var id = (a.getAttribute("href") || "").slice(1);
    if (!id || !document.getElementById(id)) return;
    e.preventDefault();
    history.replaceState(null, "", "#" + id);
    reveal(id, true);
  });
  window.addEventListener("hashchange", function () { reveal(location.hash.slice(1), true); });
  if (location.hash) reveal(decodeURIComponent(location.hash.slice(1)), true);

  var bar = document.querySelector("nav.toolbar");
  if (bar) {
    bar.hidden = false;
    bar.addEventListener("click", function (e) {
      var b = e.target.closest("button");
      if (!b) return;
      if (b.dataset.filter) {
        var f = b.dataset.filter;
        bar.querySelectorAll("[data-filter]").forEach(function (x) { x.classList.toggle("active", x === b); });
        document.querySelectorAll("article.case, tr.case-row").forEach(function (c) {
          var show = f === "all" || c.dataset.status === f || (f === "warning" && +c.dataset.warnings > 0);
          c.hidden = !show;
        });
      } else if (b.dataset.action) {
        var open = b.dataset.action === "expand";
        document.querySelectorAll("article.case details.timeline-box, article.case details.steps-box")
          .forEach(function (d) { d.open = open; });
      }
    });
  }
  document.documentElement.setAttribute("data-js", "ready");
})();
