/* ChainScout pages: what every page script shares.
 * Data arrives as JSON in #cs-data and enters the page only through textContent (never as HTML).
 */
"use strict";
window.chainscout = window.chainscout || {};
(function (cs) {
  cs.data = JSON.parse(document.getElementById("cs-data").textContent);
  cs.lang = cs.data.lang === "zh" ? "zh" : "en";
  cs.listeners = [];

  /* The label `key` in the current language. */
  cs.t = function (key) {
    var entry = cs.data.labels[key];
    return entry ? entry[cs.lang] : key;
  };
  /* Pick the text of the current language from an {en, zh} pair (falls back to the other). */
  cs.pick = function (en, zh) {
    if (cs.lang === "zh") { return zh || en || ""; }
    return en || zh || "";
  };
  /* An element with text content; never innerHTML. */
  cs.el = function (tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (cls) { node.className = cls; }
    return node;
  };
  cs.num = function (value, digits) {
    if (value === null || value === undefined) { return "–"; }
    return Number(value).toLocaleString(cs.lang === "zh" ? "zh-CN" : "en",
      { maximumFractionDigits: digits === undefined ? 0 : digits,
        minimumFractionDigits: digits === undefined ? 0 : digits });
  };
  cs.pct = function (value) {
    return value === null || value === undefined ? "–" : (100 * value).toFixed(1) + "%";
  };
  /* A tooltip element for vis-network: lines of "label: value", all as text. */
  cs.tooltip = function (title, rows) {
    var box = cs.el("div");
    box.appendChild(cs.el("strong", title));
    rows.forEach(function (row) {
      if (row === null) { return; }
      var line = cs.el("div");
      if (row.length > 1) {
        line.appendChild(cs.el("span", row[0] + ": ", "cs-muted"));
        line.appendChild(document.createTextNode(String(row[1])));
      } else {
        line.textContent = String(row[0]);
      }
      box.appendChild(line);
    });
    return box;
  };
  cs.onLang = function (fn) { cs.listeners.push(fn); };
  cs.setLang = function (lang) {
    cs.lang = lang === "zh" ? "zh" : "en";
    document.documentElement.lang = cs.lang === "zh" ? "zh-CN" : "en";
    cs.listeners.forEach(function (fn) { fn(cs.lang); });
  };
  document.getElementById("cs-lang").addEventListener("click", function () {
    cs.setLang(cs.lang === "zh" ? "en" : "zh");
  });
})(window.chainscout);
