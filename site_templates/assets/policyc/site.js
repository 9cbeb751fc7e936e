// policyc: keep the clause a link reached highlighted after Material's instant navigation
// (which changes the page without a load, so :target alone can miss it).
(function () {
  "use strict";
  function mark() {
    document.querySelectorAll(".policyc-reached").forEach(function (el) {
      el.classList.remove("policyc-reached");
    });
    var id = decodeURIComponent(window.location.hash.slice(1));
    if (!id) return;
    var el = document.getElementById(id);
    if (el && el.classList.contains("policyc-clause")) el.classList.add("policyc-reached");
  }
  window.addEventListener("hashchange", mark);
  document.addEventListener("DOMContentLoaded", mark);
})();
