// 新建转移申请: province → city → county selects, outgoing places (添加转出地), the person
// lookup by ID number, and the agent fields. The server renders every value; this only helps.
"use strict";

(() => {
  const form = document.getElementById("application-form");
  if (!form) return;
  const labels = JSON.parse(document.getElementById("account-labels").textContent);
  const jsonHeaders = { Accept: "application/json" };

  // --- regions ---------------------------------------------------------------------------------
  const regionCache = new Map();

  function children(url, parent) {
    if (!regionCache.has(parent)) {
      const request = fetch(`${url}?parent=${encodeURIComponent(parent)}`, {
        headers: jsonHeaders,
        credentials: "same-origin",
      }).then((r) => (r.ok ? r.json() : Promise.reject(new Error(`区划加载失败（${r.status}）`))));
      request.catch(() => regionCache.delete(parent));
      regionCache.set(parent, request);
    }
    return regionCache.get(parent);
  }

  function fill(select, items, placeholder) {
    select.replaceChildren(new Option(placeholder, ""));
    items.forEach((item) => select.add(new Option(item.name, item.code)));
    select.hidden = items.length === 0;
    select.required = items.length > 0;
  }

  function clear(select) {
    fill(select, [], "");
  }

  function hasOption(select, code) {
    return Array.from(select.options).some((o) => o.value === code);
  }

  function picker(el) {
    const url = el.dataset.childrenUrl;
    const [province, city, county] = ["province", "city", "county"].map((level) =>
      el.querySelector(`[data-level=${level}]`),
    );

    async function provinceChanged() {
      const code = province.value;
      clear(city);
      clear(county);
      if (!code) return;
      const items = await children(url, code);
      if (province.value !== code) return; // changed again while loading
      if (items.length && items[0].level === "county") fill(county, items, "--区县--");
      else fill(city, items, "--市--");
    }

    async function cityChanged() {
      const code = city.value;
      clear(county);
      if (!code) return;
      const items = await children(url, code);
      if (city.value === code) fill(county, items, "--区县--");
    }

    province.addEventListener("change", provinceChanged);
    city.addEventListener("change", cityChanged);

    return {
      // Show a region by its code: province, then city (if any), then county.
      async show(code) {
        province.value = `${code.slice(0, 2)}0000`;
        await provinceChanged();
        if (hasOption(county, code)) {
          county.value = code;
          return;
        }
        const cityCode = hasOption(city, code) ? code : `${code.slice(0, 4)}00`;
        if (!hasOption(city, cityCode)) return;
        city.value = cityCode;
        await cityChanged();
        if (hasOption(county, code)) county.value = code;
      },
      get code() {
        return county.value || city.value || province.value;
      },
    };
  }

  const pickers = new WeakMap();
  function pickerOf(el) {
    if (!pickers.has(el)) pickers.set(el, picker(el));
    return pickers.get(el);
  }
  form.querySelectorAll(".place-picker").forEach(pickerOf);

  // --- outgoing places -------------------------------------------------------------------------
  const rows = document.getElementById("out-rows");
  const template = document.getElementById("out-row-template");
  const addButton = document.getElementById("add-out");
  const maxRows = Number(rows.dataset.max);

  function refreshRows() {
    const count = rows.querySelectorAll(".out-row").length;
    addButton.disabled = count >= maxRows;
  }

  function addRow() {
    const index = Number(rows.dataset.nextIndex);
    rows.dataset.nextIndex = String(index + 1);
    const holder = document.createElement("div");
    holder.innerHTML = template.innerHTML.replaceAll("__i__", String(index));
    const row = holder.firstElementChild;
    rows.append(row);
    pickerOf(row.querySelector(".place-picker"));
    refreshRows();
    return row;
  }

  addButton.addEventListener("click", () => {
    addRow().querySelector("select[data-level=province]").focus();
  });

  rows.addEventListener("click", (event) => {
    const button = event.target.closest(".remove-out");
    if (!button) return;
    button.closest(".out-row").remove();
    if (!rows.querySelector(".out-row")) addRow();
    refreshRows();
  });
  refreshRows();

  async function useAsOutgoing(account) {
    const all = Array.from(rows.querySelectorAll(".out-row"));
    const same = all.find((row) => {
      const p = pickerOf(row.querySelector(".place-picker"));
      return p.code.slice(0, 2) === account.region.slice(0, 2);
    });
    if (same) {
      same.querySelector("select[data-level=province]").focus();
      return;
    }
    const empty = all.find((row) => !pickerOf(row.querySelector(".place-picker")).code);
    if (!empty && all.length >= maxRows) return;
    const row = empty || addRow();
    row.querySelector("select[name$=-scheme]").value = account.scheme;
    await pickerOf(row.querySelector(".place-picker")).show(account.region);
  }

  // --- the person, by ID number ----------------------------------------------------------------
  const idInput = document.getElementById("f-id_number");
  const nameInput = document.getElementById("f-name");
  const status = document.getElementById("person-status");
  const accountsBox = document.getElementById("person-accounts");
  const provinceNames = new Map(
    Array.from(form.querySelector("select[data-level=province]").options).map((o) => [o.value, o.text]),
  );
  let looked = "";

  function cell(text, className) {
    const td = document.createElement("td");
    td.textContent = text;
    if (className) td.className = className;
    return td;
  }

  function showAccounts(accounts) {
    const body = accountsBox.querySelector("tbody");
    body.replaceChildren();
    accounts.forEach((account) => {
      const tr = document.createElement("tr");
      const province = provinceNames.get(account.province) || account.province;
      const place = account.region === account.province ? province : `${province} ${account.region_name}`;
      tr.append(
        cell(place),
        cell(labels.schemes[account.scheme] || account.scheme),
        cell(labels.types[account.account_type] || account.account_type),
        cell(labels.statuses[account.status] || account.status, `status-${account.status}`),
        cell(String(account.paid_months), "num"),
      );
      const action = document.createElement("td");
      if (account.status === "suspended") {  // any scheme: a cross-scheme case is traditional
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = "作为转出地";
        button.addEventListener("click", () => useAsOutgoing(account));
        action.append(button);
      }
      tr.append(action);
      body.append(tr);
    });
    if (!accounts.length) {
      const tr = document.createElement("tr");
      const td = cell("无参保关系");
      td.colSpan = 6;
      tr.append(td);
      body.append(tr);
    }
    accountsBox.hidden = false;
  }

  async function lookUp(fillName) {
    const number = idInput.value.trim().toUpperCase();
    if (number.length !== 18 || number === looked) return;
    looked = number;
    status.className = "lookup-status";
    status.textContent = "正在查询参保信息…";
    try {
      const url = idInput.dataset.personUrl.replace("__id__", encodeURIComponent(number));
      const response = await fetch(url, { headers: jsonHeaders, credentials: "same-origin" });
      const body = await response.json().catch(() => ({}));
      if (idInput.value.trim().toUpperCase() !== number) return;
      if (!response.ok) {
        status.className = "lookup-status error";
        status.textContent = body.message || `查询失败（${response.status}）`;
        accountsBox.hidden = true;
        return;
      }
      const filled = fillName || !nameInput.value.trim();
      if (filled) nameInput.value = body.name;
      status.textContent = filled
        ? `已找到：${body.name}，已按登记信息填写姓名。`
        : `登记姓名：${body.name}`;
      showAccounts(body.accounts);
    } catch {
      looked = "";
      status.className = "lookup-status error";
      status.textContent = "查询失败，请检查网络后重试。";
    }
  }

  idInput.addEventListener("input", () => {
    if (idInput.value.trim().length !== 18) {
      status.textContent = "";
      accountsBox.hidden = true;
      looked = "";
    }
    lookUp(true);
  });
  idInput.addEventListener("change", () => lookUp(true));
  lookUp(false); // a form re-shown after an error: list the accounts again, keep the name

  // --- self or agent -----------------------------------------------------------------------------
  function applicantChanged() {
    const agent = form.querySelector("input[name=applicant_kind]:checked")?.value === "agent";
    form.querySelectorAll("[data-agent-only]").forEach((fieldset) => {
      fieldset.hidden = !agent;
      fieldset.disabled = !agent;
    });
  }
  form.querySelectorAll("input[name=applicant_kind]").forEach((radio) =>
    radio.addEventListener("change", applicantChanged),
  );
  applicantChanged();
})();
