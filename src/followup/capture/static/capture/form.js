// The questionnaire's small helpers, without inline script (the pages' CSP allows none):
// "Reset" clears a radio question, "Today" types today's date as YYYY-MM-DD, a missing-data code
// clears the field's own answer (one or the other, as the server also checks), and after a
// refused save the error summary takes the focus so a screen reader says it first.
"use strict";
(function () {
  function today() {
    const d = new Date();
    const pad = (n) => String(n).padStart(2, "0");
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
  }
  function changed(element) {
    element.dispatchEvent(new Event("change", { bubbles: true }));
  }
  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("button[data-reset]").forEach((button) => {
      button.addEventListener("click", () => {
        const box = document.getElementById("q-" + button.dataset.reset);
        box.querySelectorAll("input[type=radio]").forEach((r) => { r.checked = false; });
        changed(box.querySelector("input") || button);
      });
    });
    document.querySelectorAll("button[data-today]").forEach((button) => {
      button.addEventListener("click", () => {
        const input = document.getElementById(button.dataset.today);
        input.value = today() + (input.maxLength > 10 ? input.value.slice(10) : "");
        changed(input);
        input.focus();
      });
    });
    document.querySelectorAll("details.missing-code select").forEach((select) => {
      select.addEventListener("change", () => {
        if (!select.value) return;
        const box = select.closest(".question");
        box.querySelectorAll("input, textarea, select").forEach((input) => {
          if (input === select) return;
          if (input.type === "radio" || input.type === "checkbox") input.checked = false;
          else input.value = "";
        });
        changed(select);
      });
    });
    // A slider moves its number box (the box is the answer; blank until the slider is moved).
    document.querySelectorAll("div.slider[data-for]").forEach((box) => {
      const number = document.getElementById(box.dataset.for);
      const range = box.querySelector("input[type=range]");
      if (!number || !range) return;
      if (number.value !== "") range.value = number.value;
      range.addEventListener("input", () => { number.value = range.value; changed(number); });
      number.addEventListener("input", () => { if (number.value !== "") range.value = number.value; });
    });
    const summary = document.getElementById("form-error");
    if (summary) summary.focus();
  });
})();
