// What the pages' markup asks for with data attributes, bound here: the Content-Security-Policy
// allows scripts from /static only, so templates carry no inline script or on* handlers.
//
//   <form data-confirm="Delete it?">        asks before submitting; Cancel keeps the form unsent
//   <select data-autosubmit>                submits its form as soon as a choice is made
//   <button data-copy="text">               copies the text, then says "Copied"
//   <input data-select-on-focus>            selects its whole value when focused (secrets, links)
//   <div data-replace-url="/path">          the page's history entry becomes a plain visit of /path
//                                           (empty: of this URL), so reloading does not post again
//   <input type="file" data-max-bytes="N"   a file over N bytes is not sent: data-too-large is shown in
//          data-too-large="message">        the field's error (#<id>-error), sparing a long upload the
//                                           server would refuse anyway (it checks again)
//
// And on every page: a form posted once is not posted again while its answer is on the way, so a double
// click adds one webhook, key or address, not two (forms that place orders also carry a form key, which
// the server holds to the same answer).
"use strict";

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) {
    return;
  }
  for (const input of form.querySelectorAll("input[type=file][data-max-bytes]")) {
    const file = input.files && input.files[0];
    if (file && file.size > Number(input.dataset.maxBytes)) {
      event.preventDefault();
      const error = document.getElementById(`${input.id}-error`);
      if (error) {
        error.textContent = input.dataset.tooLarge || "This file is too large.";
        error.hidden = false;
      }
      input.closest(".field")?.classList.add("field-invalid");
      input.setAttribute("aria-invalid", "true");
      input.focus();
    }
  }
});

document.addEventListener("change", (event) => {
  const field = event.target;
  if (field instanceof HTMLSelectElement && field.hasAttribute("data-autosubmit") && field.form) {
    field.form.submit();
  }
});

document.addEventListener("click", (event) => {
  const button = event.target instanceof Element ? event.target.closest("[data-copy]") : null;
  if (button instanceof HTMLElement && navigator.clipboard) {
    navigator.clipboard.writeText(button.dataset.copy || "").then(() => {
      button.textContent = "Copied";
    });
  }
});

document.addEventListener("focusin", (event) => {
  const field = event.target;
  if (field instanceof HTMLInputElement && field.hasAttribute("data-select-on-focus")) {
    field.select();
  }
});

document.addEventListener("DOMContentLoaded", () => {
  const marker = document.querySelector("[data-replace-url]");
  if (marker instanceof HTMLElement) {
    history.replaceState(null, "", marker.dataset.replaceUrl || location.href);
  }
});

// Registered after the checks above: a submit they cancelled was not sent, and may be sent again.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || form.method !== "post") {
    return;
  }
  if (form.dataset.posting) {
    event.preventDefault();
  } else if (!event.defaultPrevented) {
    form.dataset.posting = "true";
  }
});

// Back to a page kept in the browser's cache: its forms may be posted again.
window.addEventListener("pageshow", (event) => {
  if (event.persisted) {
    for (const form of document.querySelectorAll("form[data-posting]")) {
      delete form.dataset.posting;
    }
  }
});
