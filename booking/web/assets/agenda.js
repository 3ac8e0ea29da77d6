// The agenda refreshes itself every 30 seconds, unless someone is using it (focus inside).
(function () {
  var box = document.getElementById("agenda");
  if (!box) return;
  setInterval(function () {
    if (box.contains(document.activeElement)) return;
    fetch(box.dataset.refresh, { headers: { "X-Fragment": "agenda" }, credentials: "same-origin" })
      .then(function (answer) { return answer.ok ? answer.text() : null; })
      .then(function (html) { if (html && !box.contains(document.activeElement)) box.innerHTML = html; });
  }, 30000);
})();
