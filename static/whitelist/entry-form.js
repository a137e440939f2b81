// 白名单维护: the refused transfer's number is asked for only with the reason
// "外省拒绝转出：无需要转移的缴费记录"; for any other reason the field is hidden and not sent.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("entry-form");
  const field = document.getElementById("field-transfer_no");
  if (!form || !field) return;
  const input = field.querySelector("input");
  const refused = field.dataset.reason;
  const update = () => {
    const chosen = form.querySelector("input[name=reason]:checked");
    const show = chosen !== null && chosen.value === refused;
    field.hidden = !show;
    input.disabled = !show;
  };
  form.addEventListener("change", (event) => {
    if (event.target.name === "reason") update();
  });
  update();
});
