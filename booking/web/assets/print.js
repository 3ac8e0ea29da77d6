// The convocation's "Print" button: shown, and wired, only where scripts run (no inline
// handler: the pages' Content-Security-Policy allows scripts from this site's files only).
(function () {
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
