// Search as you type: fetch the result list as an HTML fragment and swap it in. Without
// script the search is a plain GET form. Nothing is stored on the device.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("search-form");
  var input = document.getElementById("q");
  var results = document.getElementById("results");
  if (!form || !input || !results) return;
  var timer = null;
  var seq = 0;
  function run() {
    var q = input.value.trim();
    var mine = ++seq;
    fetch("/search?q=" + encodeURIComponent(q), {
      credentials: "same-origin",
      headers: { "Accept": "text/html" },
      cache: "no-store"
    }).then(function (res) {
      if (res.status === 401) { window.location.assign("/login"); return null; }
      return res.ok ? res.text() : null;
    }).then(function (html) {
      if (html === null || mine !== seq) return;
      results.innerHTML = html;
      var url = q ? "/?q=" + encodeURIComponent(q) : "/";
      history.replaceState(null, "", url);
    }).catch(function () {});
  }
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(run, 200);
  });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    clearTimeout(timer);
    run();
  });
});
