/* ChainScout target list: a text filter over the rows (matching on their text only). */
"use strict";
(function (cs) {
  var input = document.getElementById("cs-filter");
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr.cs-target"));
  input.addEventListener("input", function () {
    var q = input.value.trim().toLowerCase();
    rows.forEach(function (tr) {
      tr.hidden = q !== "" && tr.textContent.toLowerCase().indexOf(q) < 0;
    });
  });
})(window.chainscout);
