/* The analyst workspace's keyboard flow and in-place macro insertion.
 *
 * A static file (the admin's Content-Security-Policy allows no inline script). Everything here is an
 * enhancement: without it every form still posts and every link still works. The "?" key shows the
 * shortcuts of the page (a <dialog> the server renders).
 *
 * Outside text boxes single keys act; in a text box only Ctrl+Enter (send), Ctrl+Shift+Enter (send and
 * open the next case) and Esc (leave the box) do, so typing is never taken for a command.
 */
(function () {
  "use strict";

  var doc = document;
  doc.documentElement.classList.add("cd-js");

  // --- The browser's time zone: the server shows times in it unless the analyst chose one. ---------
  function cookie(name) {
    var found = doc.cookie.split("; ").filter(function (part) { return part.indexOf(name + "=") === 0; })[0];
    return found ? decodeURIComponent(found.slice(name.length + 1)) : "";
  }
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    // IANA names are cookie-safe as they are (letters, digits, "/", "_", "+", "-"); the server reads them raw.
    if (zone && /^[A-Za-z0-9_\/+-]+$/.test(zone) && cookie("casedesk_tz") !== zone) {
      doc.cookie = "casedesk_tz=" + zone + "; path=/; max-age=31536000; SameSite=Lax" +
        (location.protocol === "https:" ? "; Secure" : "");
    }
  } catch (ignored) { /* no Intl time zone: the server keeps UTC */ }

  function $(selector, root) { return (root || doc).querySelector(selector); }
  function $$(selector, root) { return Array.prototype.slice.call((root || doc).querySelectorAll(selector)); }

  function typing(element) {
    if (!element || !element.tagName) { return false; }
    var tag = element.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT" || element.isContentEditable) { return true; }
    return tag === "INPUT" && !/^(checkbox|radio|button|submit|reset|file|hidden)$/i.test(element.type);
  }

  function focusField(element) {
    if (!element) { return false; }
    element.focus();
    element.scrollIntoView({ block: "center" });
    return true;
  }

  function follow(link) {
    if (!link || !link.href) { return false; }
    location.assign(link.href);
    return true;
  }

  // Code points, as the server counts characters (the browser counts UTF-16 units).
  function codePoints(text) { return Array.from(text).length; }
  function unitsFor(text, points) { return Array.from(text).slice(0, points).join("").length; }

  function caretTo(textarea, units) {
    textarea.focus();
    textarea.setSelectionRange(units, units);
  }

  // --- Sending: Ctrl+Enter sends the form of the box; with Shift, its "… & next" button. ----------
  function send(form, andNext) {
    var next = andNext ? $("button[name=and_next]", form) : null;
    if (andNext && !next) { return false; }
    if (typeof form.requestSubmit === "function") {
      if (next) { form.requestSubmit(next); } else { form.requestSubmit(); }
    } else if (next) {
      next.click();
    } else {
      form.submit();
    }
    return true;
  }

  // --- The shortcuts dialog ------------------------------------------------------------------------
  function openShortcuts() {
    var dialog = $("#cd-shortcuts");
    if (!dialog || dialog.open) { return false; }
    dialog.showModal();
    return true;
  }
  doc.addEventListener("click", function (event) {
    var opener = event.target.closest && event.target.closest("[data-shortcuts-open]");
    if (opener) { event.preventDefault(); openShortcuts(); }
    var closer = event.target.closest && event.target.closest("[data-shortcuts-close]");
    if (closer) { event.preventDefault(); closer.closest("dialog").close(); }
  });

  // --- The case list: a row cursor (j/k), open (Enter/o), select (x), queue tabs (q, ←/→). --------
  var rows = $$("#result_list tbody tr");
  var cursor = rows.length ? 0 : -1;
  function showCursor() {
    rows.forEach(function (row, index) { row.classList.toggle("cd-cursor", index === cursor); });
    if (rows[cursor]) { rows[cursor].scrollIntoView({ block: "nearest" }); }
  }
  if (rows.length) { showCursor(); }
  function rowLink(row) { return row && $("th a, td a", row); }

  function listKey(event) {
    switch (event.key) {
      case "j": cursor = Math.min(cursor + 1, rows.length - 1); showCursor(); return true;
      case "k": cursor = Math.max(cursor - 1, 0); showCursor(); return true;
      case "o": case "Enter": return follow(rowLink(rows[cursor]));
      case "x": {
        var box = rows[cursor] && $("input.action-select", rows[cursor]);
        if (box) { box.click(); }
        return Boolean(box);
      }
      default: return false;
    }
  }

  function queueTabs() { return $$(".cd-queues a"); }
  function tabKey(event) {
    var tabs = queueTabs();
    var index = tabs.indexOf(doc.activeElement);
    if (index < 0) { return false; }
    if (event.key === "ArrowRight") { tabs[(index + 1) % tabs.length].focus(); return true; }
    if (event.key === "ArrowLeft") { tabs[(index - 1 + tabs.length) % tabs.length].focus(); return true; }
    return false;
  }
  function focusQueues() {
    var tabs = queueTabs();
    var active = $(".cd-queues a.cd-active") || tabs[0];
    if (!active) { return false; }
    active.focus();
    return true;
  }

  // --- The case page --------------------------------------------------------------------------------
  var casePage = $(".cd-case");

  function transitionKey(event) {
    var match = /^Digit([1-9])$/.exec(event.code || "");
    if (!match) { return false; }
    var button = $("[data-key='" + match[1] + "']");
    if (!button) { return false; }
    if (event.shiftKey) {
      var form = button.form;
      if (form) { return send(form, true); }
    }
    if (button.tagName === "A") { return follow(button); }
    button.click();
    return true;
  }

  function caseKey(event) {
    switch (event.key) {
      case "r": return focusField($("#id_body"));
      case "n": return focusField($("#id_note_body"));
      case "m": return focusField($("#cd-macro-search"));
      case "j": return follow($("#cd-next"));
      case "k": return follow($("#cd-prev"));
      case "u": return follow($("#cd-back"));
      case "a": { var mine = $("#assign-to-me"); if (mine) { mine.click(); } return Boolean(mine); }
      default: return transitionKey(event);
    }
  }

  // The reply box keeps its caret: at the end of what is there when the page opens.
  var reply = $("#id_body");
  if (reply && doc.activeElement === reply) { caretTo(reply, reply.value.length); }

  // --- Macros: search, pick with the keyboard, insert where the caret is. -------------------------
  function macroItems() { return $$("#cd-macro-list .cd-macro-item"); }

  // A button the search has just swapped in may not be bound by htmx yet (it binds new content when
  // the swap settles): bind it first, or the click would post the whole page.
  function pick(item) {
    if (window.htmx) { window.htmx.process(item); }
    item.click();
  }

  doc.addEventListener("click", function (event) {
    // Before htmx reads the form: where the caret is in the reply (code points).
    var item = event.target.closest && event.target.closest(".cd-macro-item");
    var box = $("#id_body");
    var field = $("#cd-cursor");
    if (item && box && field) { field.value = String(codePoints(box.value.slice(0, box.selectionStart))); }
  }, true);

  doc.addEventListener("keydown", function (event) {
    var target = event.target;
    if (target.id === "cd-macro-search") {
      var items = macroItems();
      if (event.key === "ArrowDown" && items.length) { event.preventDefault(); items[0].focus(); }
      else if (event.key === "Enter") { event.preventDefault(); if (items.length) { pick(items[0]); } }
      else if (event.key === "Escape") { event.preventDefault(); caretTo($("#id_body"), $("#id_body").selectionStart); }
      return;
    }
    if (target.classList && target.classList.contains("cd-macro-item")) {
      var list = macroItems();
      var at = list.indexOf(target);
      if (event.key === "ArrowDown") { event.preventDefault(); (list[at + 1] || list[at]).focus(); }
      else if (event.key === "ArrowUp") { event.preventDefault(); (list[at - 1] || $("#cd-macro-search")).focus(); }
      else if (event.key === "Escape") { event.preventDefault(); $("#cd-macro-search").focus(); }
    }
  });

  doc.addEventListener("htmx:afterSwap", function (event) {
    var text = event.detail && event.detail.target;
    var swapped = $("#cd-composer-text");
    if (!swapped || !text || (text.id !== "cd-composer-text" && !swapped.contains(text) && text !== swapped)) { return; }
    var box = $("#id_body");
    var at = parseInt(swapped.getAttribute("data-cursor"), 10);
    caretTo(box, isNaN(at) ? box.value.length : unitsFor(box.value, at));
  });

  // --- Files: refuse one over the limit, or more files than a form may carry, before uploading. ----
  doc.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[type=file][data-max-bytes]")) { return; }
    var limit = parseInt(input.getAttribute("data-max-bytes"), 10);
    var most = parseInt(input.getAttribute("data-max-files"), 10);
    var big = Array.prototype.filter.call(input.files, function (file) { return file.size > limit; });
    var problem = big.length ? big.map(function (file) { return file.name; }).join(", ") +
      ": larger than the " + Math.round(limit / 1048576) + " MB a file may be." : "";
    if (!problem && most > 0 && input.files.length > most) {
      problem = input.files.length + " files: at most " + most + " may go with one message.";
    }
    input.setCustomValidity(problem);
    if (problem) { input.reportValidity(); }
  });

  // --- One key handler for the page ----------------------------------------------------------------
  doc.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.isComposing) { return; }
    var target = event.target;
    if (typing(target)) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && target.form) {
        if (send(target.form, event.shiftKey)) { event.preventDefault(); }
      } else if (event.key === "Escape" && target.id !== "cd-macro-search") {
        target.blur();
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var dialog = $("#cd-shortcuts");
    if (dialog && dialog.open) { return; }
    var onControl = target && (target.tagName === "A" || target.tagName === "BUTTON");
    var handled = false;
    if (event.key === "?") { handled = openShortcuts(); }
    else if (event.key === "/") { handled = focusField($("#searchbar") || $("#cd-search")); }
    else if (event.key === "q") { handled = focusQueues(); }
    else if (event.key === "ArrowLeft" || event.key === "ArrowRight") { handled = tabKey(event); }
    else if (rows.length && !(onControl && event.key === "Enter")) { handled = listKey(event); }
    else if (casePage && !(onControl && event.key === "Enter")) { handled = caseKey(event); }
    if (handled) { event.preventDefault(); }
  });
})();
