// The manage link carries its token in the fragment (#…), which browsers never send to a
// server. Post it in the form's body, then drop it from the address bar.
(function () {
  var token = window.location.hash.slice(1);
  var form = document.getElementById("open-visit");
  if (!token || !form) return;
  history.replaceState(null, "", window.location.pathname);
  document.getElementById("token").value = token;
  form.submit();
})();
