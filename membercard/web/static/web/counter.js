/* The counter, keyboard-first: the card field always has the focus when nothing else needs
   it; after a swipe the amount field; after Enter on the amount the confirm button (or the
   PIN field); after a purchase the card field again, cleared. Buttons are disabled while
   their request runs, so a double Enter never sends twice (the server's idempotency key
   makes sure anyway). Requests are made by htmx; this file only moves the focus. */
(function () {
  "use strict";
  var $ = function (selector, root) { return (root || document).querySelector(selector); };

  function focusCard(clear) {
    var input = $("#card-input");
    if (!input) { return; }
    if (clear) { input.value = ""; }
    input.focus();
    input.select();
  }

  function focusAmount() {
    var amount = $("#amount-input");
    if (amount) { amount.focus(); amount.select(); return true; }
    return false;
  }

  function looksLikeCard(text) {
    // What a reader types never looks like an amount: track sentinels, a barcode, 12+ digits.
    return /^[%;]/.test(text) || /^mc\d/i.test(text) || /^\d{12,}$/.test(text.replace(/[\s-]/g, ""));
  }

  function isField(element) {
    return element && /^(INPUT|SELECT|TEXTAREA|BUTTON|A)$/.test(element.tagName);
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target) { return; }
    // htmx wires the swapped-in forms only when the swap settles (20 ms later); an Enter typed
    // before that would post the page natively. Wire them now, before the focus moves there.
    htmx.process(target);
    if (target.id === "card-error") {
      // Wrong check digit, unknown or bank card: no panel stays open for the previous card.
      var panel = $("#card-panel");
      if (panel) { panel.innerHTML = ""; }
      focusCard(false);
      return;
    }
    if (target.id === "card-panel") {
      var error = $("#card-error");
      if (error) { error.innerHTML = ""; }
      var shown = $(".card-panel", target);
      if (shown && shown.dataset.done) { focusCard(true); return; }
      var input = $("#card-input");
      if (input) { input.value = ""; }
      if (!focusAmount()) { focusCard(true); }
      return;
    }
    if (target.id === "purchase-preview") {
      if ($(".preview-error, .alert.error", target)) { focusAmount(); return; }
      var pin = $("#pin-input", target);
      var confirm = $("#confirm-purchase", target);
      if (pin) { pin.focus(); } else if (confirm) { confirm.focus(); }
    }
  });

  // A card swiped while the amount field has the focus goes to the card field.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt;
    if (!form || form.id !== "purchase-form") { return; }
    var amount = $("#amount-input");
    if (amount && looksLikeCard(amount.value.trim())) {
      event.preventDefault();
      var input = $("#card-input");
      input.value = amount.value.trim();
      amount.value = "";
      htmx.trigger("#card-form", "submit");
    }
  });
  document.addEventListener("keydown", function (event) {
    var active = document.activeElement;
    if (active && active.id === "amount-input" && (event.key === "%" || event.key === ";")) {
      focusCard(true);  // the track's first character lands in the card field
      return;
    }
    if ((!active || active === document.body) && event.key.length === 1 && !event.ctrlKey && !event.metaKey && !event.altKey) {
      if ($("#card-input")) { focusCard(false); }
    }
    if (event.key === "Escape" && $("#card-input")) {
      var preview = $("#purchase-preview");
      if (preview && preview.innerHTML.trim()) { preview.innerHTML = ""; focusAmount(); }
      else { focusCard(true); }
    }
  });

  // In a page form, the Enter a scanner sends after the card moves on to the next field
  // instead of sending a half-filled form.
  document.addEventListener("keydown", function (event) {
    var field = event.target;
    if (event.key !== "Enter" || !field.classList || !field.classList.contains("card-input")) { return; }
    var form = field.form;
    if (!form || !form.classList.contains("counter-form")) { return; }
    event.preventDefault();
    var fields = Array.prototype.slice.call(form.querySelectorAll("input:not([type=hidden]), select, textarea, button[type=submit]"));
    var next = fields[fields.indexOf(field) + 1];
    if (next) { next.focus(); }
  });

  // A click on nothing in particular gives the focus back to the card field.
  document.addEventListener("click", function (event) {
    if (!$("#card-input")) { return; }
    var element = event.target;
    while (element && element !== document.body) {
      if (isField(element) || element.tagName === "LABEL" || element.tagName === "FORM") { return; }
      element = element.parentElement;
    }
    if (!isField(document.activeElement)) { focusCard(false); }
  });

  document.addEventListener("htmx:sendError", function () {
    var form = $("#card-form");
    var error = $("#card-error");
    if (form && error) {
      error.innerHTML = "";
      var alert = document.createElement("div");
      alert.className = "alert error";
      alert.textContent = form.dataset.networkError || "Network error";
      error.appendChild(alert);
    }
  });

  // Full-page counter forms: one submit only, the buttons disabled while it is sent.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("counter-form")) { return; }
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
    }, 0);
  });

  // Back from the browser cache, a sent form may be sent again (a new key is not needed:
  // the server replays the first result).
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form.counter-form").forEach(function (form) {
      delete form.dataset.sent;
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = false; });
    });
  });

  document.addEventListener("DOMContentLoaded", function () {
    var form = $("form.counter-form");
    if (form) {
      var wrong = $(".has-error input, .has-error select, .has-error textarea", form);
      var fields = Array.prototype.slice.call(form.querySelectorAll("input:not([type=hidden]), select, textarea"));
      var empty = fields.filter(function (f) { return !f.value; })[0];
      var first = wrong || empty || fields[0];
      if (first) { first.focus(); if (first.select) { first.select(); } }
      return;
    }
    if (!focusAmount()) { focusCard(false); }
  });
})();
