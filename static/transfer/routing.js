// 新建转移申请: the model each outgoing place will follow, as the clerk picks the schemes — the
// same rule as services.route: enterprise → enterprise and not 手工转移 is periodic, anything
// else traditional, and a traditional case is accepted only in the incoming province. The
// server renders the same on every page it sends; this only keeps it current.
"use strict";

(() => {
  const form = document.getElementById("application-form");
  if (!form) return;
  const LABELS = { periodic: "定期清算模式", traditional: "传统模式" };
  const inScheme = form.querySelector("select[name=in_scheme]");
  const manual = form.querySelector("input[name=manual]");
  const inProvince = form.querySelector("select[name=in-province]");
  const rows = document.getElementById("out-rows");
  const traditionalNotice = document.getElementById("routing-traditional");
  const elsewhereNotice = document.getElementById("routing-elsewhere");
  const officeProvince = form.dataset.officeProvince;

  function route(outScheme) {
    const periodic = outScheme === "enterprise" && inScheme.value === "enterprise" && !manual.checked;
    return periodic ? "periodic" : "traditional";
  }

  function refresh() {
    let traditional = false;
    rows.querySelectorAll(".out-row").forEach((row) => {
      const mode = route(row.querySelector("select[name$=-scheme]").value);
      const badge = row.querySelector("[data-route]");
      badge.textContent = LABELS[mode];
      badge.className = `mode mode-${mode}`;
      badge.hidden = false;
      traditional ||= mode === "traditional";
    });
    traditionalNotice.hidden = !traditional;
    elsewhereNotice.hidden = !(
      traditional && inProvince.value && officeProvince && inProvince.value !== officeProvince
    );
  }

  form.addEventListener("change", refresh);
  new MutationObserver(refresh).observe(rows, { childList: true });
  refresh();
})();
