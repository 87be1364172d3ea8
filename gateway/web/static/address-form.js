// Lays an address form out again when its country changes: the fields move into the order that country
// writes its addresses and take its labels (State, Prefecture, ZIP code…), keeping what was typed. The server
// renders the form laid out for the country it has; this only follows a change. The layouts come from the
// document named by the form's data-address-layouts (every country's, built from Google's address metadata
// by gateway/web/addresses.py), fetched once, on the first change.
//
//   <div data-address-form data-address-layouts="/static/address-layouts.json">
//     <select data-address-country>…</select>
//     <div data-address-field="city"><div class="field"><label>…</label><input>…</div></div> …
"use strict";

(() => {
  const documents = new Map();

  function layoutsAt(url) {
    if (!documents.has(url)) {
      const loading = fetch(url, { credentials: "same-origin" }).then((answer) => {
        if (!answer.ok) throw new Error(`address layouts: ${answer.status}`);
        return answer.json();
      });
      // A failed fetch is tried again on the next change rather than remembered.
      loading.catch(() => documents.delete(url));
      documents.set(url, loading);
    }
    return documents.get(url);
  }

  function layOut(form, layout) {
    let previous = form.querySelector("[data-address-country]").closest(".field");
    for (const field of layout) {
      const slot = form.querySelector(`[data-address-field="${field.name}"]`);
      if (!slot) continue;
      previous.after(slot);
      previous = slot;
      const label = slot.querySelector("label");
      if (label) label.textContent = field.label;
      const input = slot.querySelector("input, select, textarea");
      if (input) {
        input.required = field.required;
        // A part the country's addresses lack is hidden, unless it holds something (nothing typed is lost).
        slot.hidden = !field.used && input.value.trim() === "";
      }
    }
  }

  document.addEventListener("change", (event) => {
    const select = event.target;
    if (!(select instanceof HTMLSelectElement) || !select.hasAttribute("data-address-country")) return;
    const form = select.closest("[data-address-form]");
    if (!(form instanceof HTMLElement) || !form.dataset.addressLayouts) return;
    const country = select.value;
    layoutsAt(form.dataset.addressLayouts).then(
      (layouts) => {
        // The choice may have changed again while the layouts loaded: lay out for the latest one only.
        if (select.value !== country) return;
        const index = layouts.countries[country] ?? layouts.countries[""];
        layOut(form, layouts.layouts[index]);
        form.dataset.laidOutFor = country; // which country the form now follows (tests wait on it)
      },
      () => {}, // without the layouts, the form keeps the layout it was rendered with; the server still checks it
    );
  });
})();
