// Small behaviours shared by the staff pages: dialogs, printing, no double submission.
"use strict";

document.addEventListener("click", (event) => {
  const opener = event.target.closest("[data-dialog]");
  if (opener) {
    const dialog = document.getElementById(opener.dataset.dialog);
    if (dialog) {
      dialog.showModal();
      const first = dialog.querySelector("select, textarea, input:not([type=hidden])");
      if (first) first.focus();
    }
  }
  if (event.target.closest("[data-print]")) window.print();
});

// A busy window double-clicks: the second click must not post the same action again.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (event.defaultPrevented || form.method === "dialog") return;
  if (event.submitter && event.submitter.formMethod === "dialog") return;
  if (form.dataset.submitted) {
    event.preventDefault();
    return;
  }
  form.dataset.submitted = "1";
  setTimeout(() => {
    form.querySelectorAll("button[type=submit], button:not([type])").forEach((b) => {
      if (b.formMethod !== "dialog") b.disabled = true;
    });
  });
});

// The browser restores a page from its cache after "back": make its forms usable again.
window.addEventListener("pageshow", () => {
  document.querySelectorAll("form[data-submitted]").forEach((form) => {
    delete form.dataset.submitted;
    form.querySelectorAll("button:disabled").forEach((b) => { b.disabled = false; });
  });
});

document.addEventListener("DOMContentLoaded", () => {
  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();
});
