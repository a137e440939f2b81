// 个人重复缴费退费: keeps step 2 (per month what is refunded, what kept, which months may not be
// chosen) and step 3's summary current as the clerk maintains identities and picks a direction —
// the same checks, in the same order, as refunds/forms.py plan_month (and the service). Amounts
// arrive exact in thousandths of a fen and are added up as BigInt: no floating point near money.
// The server renders the same on every page it sends; this only keeps it current.
"use strict";

(() => {
  const form = document.getElementById("refund-form");
  if (!form) return;
  const data = JSON.parse(document.getElementById("refund-data").textContent);
  const months = new Map(data.months.map((m) => [m.month, m.entries]));
  const rows = document.getElementById("period-rows");
  const template = document.getElementById("period-row-template");
  const MONTH = /^[0-9]{4}-[0-9]{2}$/;

  // Without script a button re-plans on the server; with it, the page does.
  form.querySelectorAll(".no-js").forEach((el) => {
    el.hidden = true;
    el.querySelectorAll("button").forEach((b) => { b.disabled = true; });
  });
  document.getElementById("period-actions").hidden = false;
  const selectAll = document.getElementById("select-refundable");
  selectAll.hidden = false;

  // --- step 1: identity periods ------------------------------------------------------------------
  let nextIndex = Number(rows.dataset.nextIndex);

  function showRemoveButtons() {
    const all = rows.querySelectorAll(".period-row");
    all.forEach((row) => {
      row.querySelector(".remove-period").hidden = all.length < 2;
    });
  }

  document.getElementById("add-period").addEventListener("click", () => {
    const html = template.innerHTML.replaceAll("__i__", String(nextIndex));
    nextIndex += 1;
    rows.insertAdjacentHTML("beforeend", html);
    showRemoveButtons();
    rows.lastElementChild.querySelector("select").focus();
    refresh();
  });

  rows.addEventListener("click", (event) => {
    const button = event.target.closest(".remove-period");
    if (!button) return;
    button.closest(".period-row").remove();
    showRemoveButtons();
    refresh();
  });

  function periods() {
    return Array.from(rows.querySelectorAll(".period-row"))
      .map((row) => ({
        region: row.querySelector("select[name$='-region']").value,
        start: row.querySelector("input[name$='-start']").value,
        end: row.querySelector("input[name$='-end']").value,
        identity: row.querySelector("select[name$='-identity']").value,
      }))
      .filter((p) => p.region && MONTH.test(p.start) && MONTH.test(p.end) && p.identity);
  }

  // --- step 2: the month plan --------------------------------------------------------------------
  function identityOf(month, entry, list) {
    const found = list.find(
      (p) => p.start <= month && month <= p.end && (p.region === entry.region || p.region === entry.province),
    );
    return found ? found.identity : null;
  }

  function plan(month, entries, direction, list) {
    if (!direction) return { kept: entries, blocked: data.blocked.no_direction };
    const atPlace = entries.filter((e) => e.region === direction || e.province === direction);
    if (!atPlace.length) return { kept: entries, blocked: data.blocked.not_paid_here };
    const identity = identityOf(month, atPlace[0], list);
    if (!identity) return { kept: entries, blocked: data.blocked.no_identity };
    const refunded = atPlace.find((e) => e.identity === identity);
    if (!refunded) {
      const blocked = data.blocked.no_such_identity.replace("{identity}", data.identities[identity]);
      return { kept: entries, blocked };
    }
    const kept = entries.filter((e) => e !== refunded);
    if (refunded.refund_no) {
      return { refunded, kept, blocked: data.blocked.taken.replace("{refund_no}", refunded.refund_no) };
    }
    const keptIdentities = new Set(kept.map((e) => e.identity));
    if (identity === "employee" && keptIdentities.has("flexible")) {
      return { refunded, kept, blocked: data.blocked.employee_side };
    }
    return { refunded, kept, blocked: "", windowOnly: identity === "flexible" && keptIdentities.has("employee") };
  }

  function roundFen(milli) {
    return (milli + 500n) / 1000n; // half up; amounts are never negative
  }

  function yuan(fen) {
    const whole = (fen / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return `${whole}.${(fen % 100n).toString().padStart(2, "0")}`;
  }

  function badge(tone, text) {
    const span = document.createElement("span");
    span.className = `status status-${tone}`;
    span.textContent = text;
    return span;
  }

  function lines(cell, texts) {
    cell.replaceChildren(...(texts.length ? texts.map((t) => Object.assign(document.createElement("div"), { textContent: t })) : ["—"]));
  }

  function refresh() {
    const checkedDirection = form.querySelector("input[name=refund_region]:checked");
    const direction = checkedDirection ? checkedDirection.value : "";
    const list = periods();
    const chosen = [];
    const blocked = [];
    let amount = 0n;
    let credited = 0n;
    form.querySelectorAll("#months tbody tr[data-month]").forEach((tr) => {
      const month = tr.dataset.month;
      const result = plan(month, months.get(month), direction, list);
      const box = tr.querySelector("input[name=months]");
      // A month already ticked stays ticked and enabled: nothing the clerk chose disappears.
      box.disabled = Boolean(result.blocked) && !box.checked;
      tr.classList.toggle("blocked", Boolean(result.blocked));
      tr.classList.toggle("chosen", box.checked);
      tr.querySelector("[data-cell=refunded]").textContent = result.refunded ? result.refunded.label : "—";
      lines(tr.querySelector("[data-cell=kept]"), result.kept.map((e) => e.label));
      tr.querySelector("[data-cell=amount]").textContent = result.refunded
        ? yuan(roundFen(BigInt(result.refunded.amount_milli)))
        : "—";
      const note = tr.querySelector("[data-cell=note]");
      if (!direction) note.replaceChildren(badge("muted", "待选择方向"));
      else if (result.blocked) note.replaceChildren(badge("danger", "不可选"), ` ${result.blocked}`);
      else note.replaceChildren(badge(result.windowOnly ? "warn" : "ok", result.windowOnly ? "可退·仅限窗口" : "可退"));
      if (!box.checked) return;
      if (result.blocked) {
        blocked.push(month);
        return;
      }
      chosen.push(month);
      amount += BigInt(result.refunded.amount_milli);
      credited += BigInt(result.refunded.credited_milli);
    });

    document.getElementById("summary-direction").textContent = direction
      ? `退 ${data.places[direction]} 的缴费`
      : "尚未选择";
    document.getElementById("summary-months").textContent = chosen.length
      ? `${chosen.join("、")}（共${chosen.length}个月）`
      : "尚未选择";
    document.getElementById("summary-amount").textContent = yuan(roundFen(amount));
    document.getElementById("summary-credited").textContent = yuan(roundFen(credited));
    const warning = document.getElementById("summary-blocked");
    warning.hidden = blocked.length === 0;
    warning.querySelector("span").textContent = blocked.join("、");
  }

  selectAll.addEventListener("click", () => {
    form.querySelectorAll("#months tbody tr[data-month]:not(.blocked) input[name=months]").forEach((box) => {
      box.checked = true;
    });
    refresh();
  });

  form.addEventListener("change", refresh);
  form.addEventListener("input", refresh);
  showRemoveButtons();
  refresh();
})();
