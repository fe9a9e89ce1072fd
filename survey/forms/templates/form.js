(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("survey-config").textContent);
  var form = document.getElementById("survey-form");
  var root = document.documentElement;
  var lang = cfg.langs[0];

  function setLang(l) {
    if (cfg.langs.indexOf(l) < 0) { return; }
    lang = l;
    root.setAttribute("data-lang", l);
    root.setAttribute("lang", l);
    document.title = cfg.title[l];
    var buttons = document.querySelectorAll("[data-set-lang]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].setAttribute("aria-pressed", String(buttons[i].getAttribute("data-set-lang") === l));
    }
    var options = document.querySelectorAll("option[data-l-" + l + "]");
    for (var j = 0; j < options.length; j++) {
      options[j].textContent = options[j].getAttribute("data-l-" + l);
    }
  }

  function value(name) {
    var el = form.elements.namedItem(name);
    if (!el) { return ""; }
    if (el.type === "radio") { return el.checked ? el.value : ""; }  // a one-point scale
    return String(el.value || "").trim();
  }

  function neutralise(v) {
    return /^[=+\-@\t\r]/.test(v) ? "'" + v : v;
  }

  function quote(v) {
    return /[",\r\n]|^\s|\s$/.test(v) ? "\"" + v.replace(/"/g, "\"\"") + "\"" : v;
  }

  function csv() {
    var row = cfg.columns.map(function (c) {
      var v = value(c);
      return quote(cfg.text.indexOf(c) >= 0 ? neutralise(v) : v);
    });
    return "\ufeff" + cfg.columns.map(quote).join(",") + "\r\n" + row.join(",") + "\r\n";
  }

  function questionText(name) {
    var q = document.getElementById("q-" + name);
    var span = q && q.querySelector(".qtext .l[lang=\"" + lang + "\"]");
    return span ? span.textContent.trim() : name;
  }

  function markMissing() {
    var missing = cfg.required.filter(function (c) { return value(c) === ""; });
    var box = document.getElementById("survey-missing");
    var list = box.querySelector("ul");
    list.textContent = "";
    var marked = document.querySelectorAll(".is-missing");
    for (var i = 0; i < marked.length; i++) { marked[i].classList.remove("is-missing"); }
    missing.forEach(function (c) {
      var li = document.createElement("li");
      li.textContent = questionText(c) + " (" + c + ")";
      list.appendChild(li);
      var q = document.getElementById("q-" + c);
      if (q) { q.classList.add("is-missing"); }
    });
    box.hidden = missing.length === 0;
    return missing;
  }

  function download() {
    var missing = markMissing();
    if (missing.length) {
      var names = missing.map(function (c) { return "- " + questionText(c); }).join("\n");
      if (!window.confirm(cfg.ui.confirm[lang] + "\n" + names + "\n\n" + cfg.ui.confirm_tail[lang])) {
        return;
      }
    }
    var field = form.elements.namedItem("respondent_id");
    if (value("respondent_id") === "") { field.value = newId(); }
    var rid = value("respondent_id").replace(/[^A-Za-z0-9_.-]+/g, "_").slice(0, 40) || "answers";
    var file = cfg.id + "-" + rid + ".csv";
    var blob = new Blob([csv()], { type: "text/csv;charset=utf-8" });
    var url = URL.createObjectURL(blob);
    var a = document.createElement("a");
    a.href = url;
    a.download = file;
    document.body.appendChild(a);
    a.click();
    document.body.removeChild(a);
    window.setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
    var blank = cfg.answers.filter(function (c) { return value(c) === ""; }).length;
    var msg = cfg.ui.done[lang].replace("{file}", file);
    if (blank) {
      var note = blank === 1 ? cfg.ui.blank_one[lang] : cfg.ui.blank[lang];
      msg += " " + note.replace("{n}", String(blank));
    }
    document.getElementById("survey-status").textContent = msg;
  }

  function newId() {
    var bytes = new Uint8Array(4);
    window.crypto.getRandomValues(bytes);
    return "R-" + Array.prototype.map.call(bytes, function (b) {
      return (b + 256).toString(16).slice(1);
    }).join("").toUpperCase();
  }

  form.addEventListener("change", function (ev) {
    var t = ev.target;
    if (t.tagName === "SELECT") {
      var items = document.querySelectorAll("#q-" + t.name + " li[data-code]");
      for (var i = 0; i < items.length; i++) {
        items[i].classList.toggle("chosen", items[i].getAttribute("data-code") === t.value);
      }
    }
    var q = document.getElementById("q-" + t.name);
    if (q && value(t.name) !== "") { q.classList.remove("is-missing"); }
  });
  form.addEventListener("submit", function (ev) { ev.preventDefault(); });
  document.addEventListener("click", function (ev) {
    var b = ev.target.closest ? ev.target.closest("[data-set-lang]") : null;
    if (b) { setLang(b.getAttribute("data-set-lang")); }
  });
  document.getElementById("survey-download").addEventListener("click", download);
  document.getElementById("survey-print").addEventListener("click", function () { window.print(); });

  var m = /(?:^|[#&])lang=([A-Za-z-]+)/.exec(window.location.hash);
  setLang(m ? m[1] : lang);
}());
