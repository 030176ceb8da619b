/* The recipe builder: the form becomes the recipe JSON (CONTRACT.md "Recipe"), saved through
 * the JSON API on the admin's session (X-CSRFToken); the API's 400s name paths such as
 * `conditions.all[1].op`, and each is shown beside the input carrying that data-path.
 * No library, no build step: plain DOM, one file. */
(function () {
  "use strict";
  const form = document.getElementById("builder");
  if (!form) return;
  const $ = (selector, root) => (root || document).querySelector(selector);
  const $$ = (selector, root) => Array.from((root || document).querySelectorAll(selector));
  const options = JSON.parse($("#builder-options").textContent);
  let recipe = JSON.parse($("#builder-recipe").textContent);
  const api = form.dataset.api;
  const csrf = $("#csrf").value;
  let counter = 0;

  /* ---- talking to the API ---- */
  async function call(method, url, body) {
    const answer = await fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = answer.status === 204 ? null : await answer.json().catch(() => null);
    return { ok: answer.ok, status: answer.status, data: data };
  }

  /* ---- rows made from <template>s, every input with its own label ---- */
  function instantiate(id) {
    const node = document.getElementById(id).content.firstElementChild.cloneNode(true);
    $$("label[data-for]", node).forEach((label) => {
      const input = label.parentElement.querySelector("[data-part]");
      input.id = "f" + ++counter;
      label.htmlFor = input.id;
    });
    $$("[data-remove]", node).forEach((button) =>
      button.addEventListener("click", () => node.remove()),
    );
    return node;
  }

  function part(node, name) {
    return node.querySelector(`[data-part="${name}"]`);
  }

  function shown(value) {
    if (value === undefined || value === null) return "";
    return Array.isArray(value) ? value.join(", ") : String(value);
  }

  function scalar(text) {
    const t = text.trim();
    if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
    if (t === "true" || t === "false") return t === "true";
    return t;
  }

  function ruleValue(op, text) {
    if (op === "in" || op === "not_in") return text.split(",").filter((s) => s.trim()).map(scalar);
    if (op === "exists") return text.trim() !== "false";
    return scalar(text);
  }

  function addRule(container, rule) {
    if (rule && !rule.op) {
      const kept = document.createElement("div");
      kept.className = "jh-kept small mb-2";
      kept.dataset.kept = JSON.stringify(rule);
      kept.textContent = "A nested group, kept as it is: " + JSON.stringify(rule);
      container.appendChild(kept);
      return;
    }
    const row = instantiate("rule-row");
    if (rule) {
      part(row, "field").value = rule.field;
      part(row, "op").value = rule.op;
      part(row, "value").value = shown(rule.value);
    }
    container.appendChild(row);
  }

  function readRules(container, prefix) {
    return Array.from(container.children).map((row, i) => {
      const at = `${prefix}[${i}]`;
      if (row.dataset.kept) {
        row.dataset.path = at;
        return JSON.parse(row.dataset.kept);
      }
      const op = part(row, "op").value;
      ["field", "op", "value"].forEach((name) => (part(row, name).dataset.path = `${at}.${name}`));
      return { field: part(row, "field").value.trim(), op: op, value: ruleValue(op, part(row, "value").value) };
    });
  }

  function loadCondition(group, condition) {
    const container = $(`[data-rows="${group}"]`);
    if (!condition) return;
    const join = condition.all ? "all" : condition.any ? "any" : "all";
    $(`[data-join="${group}"]`).value = join;
    (condition[join] || [condition]).forEach((rule) => addRule(container, rule));
  }

  function readCondition(group) {
    const join = $(`[data-join="${group}"]`).value;
    const rules = readRules($(`[data-rows="${group}"]`), `${group}.${join}`);
    return rules.length ? { [join]: rules } : null;
  }

  /* ---- result actions ---- */
  function destination(id) {
    return options.destinations.find((d) => String(d.id) === String(id));
  }

  function fillOperations(row, chosen) {
    const select = part(row, "operation");
    const found = destination(part(row, "connection_id").value);
    select.innerHTML = "";
    (found ? found.operations : []).forEach((op) => select.add(new Option(op.replace("_", " "), op)));
    if (chosen) select.value = chosen;
  }

  function addMapping(container, name, template) {
    const row = instantiate("mapping-row");
    part(row, "name").value = name || "";
    part(row, "template").value = template || "";
    container.appendChild(row);
  }

  function addAction(action) {
    const row = instantiate("action-row");
    const fields = part(row, "fields");
    if (action) {
      part(row, "on").value = action.on;
      part(row, "connection_id").value = String(action.connection_id);
    }
    fillOperations(row, action && action.operation);
    part(row, "connection_id").addEventListener("change", () => fillOperations(row));
    $("[data-add-mapping]", row).addEventListener("click", () => addMapping(fields));
    Object.entries((action && action.fields) || {}).forEach(([k, v]) => addMapping(fields, k, v));
    $('[data-rows="actions"]').appendChild(row);
  }

  function readActions() {
    return $$('[data-rows="actions"] > fieldset').map((row, i) => {
      const at = `actions[${i}]`;
      ["on", "connection_id", "operation"].forEach((name) => (part(row, name).dataset.path = `${at}.${name}`));
      const fields = {};
      Array.from(part(row, "fields").children).forEach((mapping) => {
        const name = part(mapping, "name").value.trim();
        part(mapping, "name").dataset.path = `${at}.fields`;
        part(mapping, "template").dataset.path = `${at}.fields.${name}`;
        if (name) fields[name] = part(mapping, "template").value;
      });
      return {
        on: part(row, "on").value,
        connection_id: Number(part(row, "connection_id").value),
        operation: part(row, "operation").value,
        fields: fields,
      };
    });
  }

  /* ---- the recipe, both ways ---- */
  const number = (id) => ($(id).value.trim() === "" ? null : Number($(id).value));

  function readTrigger() {
    const type = $("#trigger-type").value;
    if (type === "cohort_entered" || type === "cohort_exited") return { type: type, cohort_id: number("#trigger-cohort") };
    const trigger = { type: type, event: $("#trigger-event").value.trim() };
    if (type === "after") trigger.days = number("#trigger-days");
    if (type === "absence") {
      trigger.missing = $("#trigger-missing").value.trim();
      trigger.within_days = number("#trigger-within");
    }
    return trigger;
  }

  function readCaps() {
    const caps = { when_capped: $("#cap-when").value };
    caps.per_campaign_person = $("#cap-campaign").value === "once" ? "once" : { days: number("#cap-campaign-days") };
    if (number("#cap-person") !== null) caps.per_person_days = number("#cap-person");
    if (number("#cap-budget") !== null) caps.daily_budget = number("#cap-budget");
    return caps;
  }

  function read() {
    return {
      name: $("#name").value.trim(),
      enabled: $("#enabled").checked,
      trigger: readTrigger(),
      conditions: readCondition("conditions"),
      screener: readCondition("screener"),
      sample_percent: number("#sample_percent"),
      delay_minutes: number("#delay_minutes"),
      quiet_hours: $("#quiet").checked ? { start: $("#quiet-start").value, end: $("#quiet-end").value } : null,
      caps: readCaps(),
      campaign_id: number("#campaign_id"),
      actions: readActions(),
    };
  }

  function load(r) {
    $("#name").value = r.name;
    $("#enabled").checked = r.enabled;
    $("#campaign_id").value = String(r.campaign_id);
    $("#trigger-type").value = r.trigger.type;
    $("#trigger-event").value = r.trigger.event || "";
    $("#trigger-cohort").value = r.trigger.cohort_id ? String(r.trigger.cohort_id) : "";
    $("#trigger-days").value = r.trigger.days || 7;
    $("#trigger-missing").value = r.trigger.missing || "";
    $("#trigger-within").value = r.trigger.within_days || 14;
    loadCondition("conditions", r.conditions);
    loadCondition("screener", r.screener);
    $("#sample_percent").value = r.sample_percent;
    $("#delay_minutes").value = r.delay_minutes;
    $("#quiet").checked = !!r.quiet_hours;
    if (r.quiet_hours) {
      $("#quiet-start").value = r.quiet_hours.start;
      $("#quiet-end").value = r.quiet_hours.end;
    }
    const caps = r.caps || {};
    $("#cap-person").value = shown(caps.per_person_days);
    $("#cap-budget").value = shown(caps.daily_budget);
    $("#cap-when").value = caps.when_capped || "drop";
    const every = caps.per_campaign_person && caps.per_campaign_person.days;
    $("#cap-campaign").value = every ? "days" : "once";
    if (every) $("#cap-campaign-days").value = every;
    (r.actions || []).forEach(addAction);
  }

  /* ---- what the API refused, beside its field ---- */
  function clearErrors(root) {
    $$(".jh-error", root).forEach((e) => (e.hidden = true));
    $$("[aria-invalid]", root).forEach((e) => e.removeAttribute("aria-invalid"));
  }

  function fieldFor(root, path) {
    for (let p = path; p; p = p.replace(/(\.[^.[\]]+|\[\d+\])$/, "")) {
      const found = $$("[data-path]", root).find((e) => e.dataset.path === p);
      if (found) return found;
      if (!/(\.[^.[\]]+|\[\d+\])$/.test(p)) break;
    }
    return null;
  }

  function markError(element, message) {
    const group = element.closest(".form-group") || element.parentElement;
    let box = $(`[data-error-for="${element.dataset.path}"]`) || $(".jh-error", group);
    if (!box) {
      box = document.createElement("div");
      box.className = "invalid-feedback d-block jh-error";
      group.appendChild(box);
    }
    box.id = box.id || "e" + ++counter;
    box.textContent = message;
    box.hidden = false;
    if (element.matches("input, select, textarea")) {
      element.setAttribute("aria-invalid", "true");
      element.setAttribute("aria-describedby", box.id);
    }
  }

  function showErrors(root, banner, error) {
    const loose = [];
    (Array.isArray(error.details) ? error.details : []).forEach((d) => {
      const element = fieldFor(root, d.field);
      if (element) markError(element, `${d.field}: ${d.message}`);
      else loose.push(`${d.field}: ${d.message}`);
    });
    banner.textContent = error.message + (loose.length ? " — " + loose.join("; ") : "");
    banner.hidden = false;
    const first = $("[aria-invalid]", root);
    if (first) first.focus();
  }

  /* ---- save, dry run, backtest ---- */
  function showTrigger() {
    const type = $("#trigger-type").value;
    $$("[data-when]").forEach((g) => (g.hidden = !g.dataset.when.split(" ").includes(type)));
    $("#cap-campaign-days").disabled = $("#cap-campaign").value === "once";
    $("#quiet-start").disabled = $("#quiet-end").disabled = !$("#quiet").checked;
    $$("[data-needs-recipe]").forEach((b) => (b.disabled = !recipe));
  }

  async function save(event) {
    event.preventDefault();
    const banner = $("#form-error");
    clearErrors(form);
    banner.hidden = true;
    $("#save-status").textContent = "Saving…";
    const answer = recipe
      ? await call("PUT", `${api}/${recipe.id}`, read())
      : await call("POST", api, read());
    if (!answer.ok) {
      $("#save-status").textContent = "";
      showErrors(form, banner, (answer.data && answer.data.error) || { message: `HTTP ${answer.status}` });
      return;
    }
    recipe = answer.data;
    history.replaceState(null, "", `${form.dataset.page}/${recipe.id}/`);
    $("h1.jh-title").textContent = recipe.name;
    $("#save-status").textContent = `Saved: recipe #${recipe.id}, version ${recipe.version}.`;
    showTrigger();
  }

  function pairs(name) {
    const found = {};
    Array.from($(`[data-pairs="${name}"]`).children).forEach((row) => {
      const key = part(row, "key").value.trim().replace(/^(properties|traits)\./, "");
      if (key) found[key] = scalar(part(row, "value").value);
    });
    return found;
  }

  function listItem(parent, text, className) {
    const item = document.createElement("li");
    item.textContent = text;
    if (className) item.className = className;
    parent.appendChild(item);
    return item;
  }

  async function dryRun(event) {
    event.preventDefault();
    const out = $("#dry-result");
    const sample = { event: $("#sample-event").value.trim(), properties: pairs("properties"), traits: pairs("traits") };
    if ($("#sample-email").value.trim()) sample.email = $("#sample-email").value.trim();
    const answer = await call("POST", `${api}/${recipe.id}/dry-run`, { event: sample });
    out.innerHTML = "";
    if (!answer.ok) {
      out.textContent = answer.data.error.message;
      return;
    }
    const heading = document.createElement("p");
    heading.className = "h6 mt-3";
    heading.textContent = `Outcome: ${answer.data.outcome}`;
    out.appendChild(heading);
    const steps = document.createElement("ol");
    steps.className = "jh-steps";
    answer.data.steps.forEach((s) =>
      listItem(steps, `${s.step}: ${s.passed ? "passed" : "held back"} — ${s.detail}`, s.passed ? "passed" : "held"),
    );
    out.appendChild(steps);
  }

  function bars(perDay) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    const top = Math.max(1, ...perDay.map((d) => d.invites));
    const width = Math.max(perDay.length, 1) * 12;
    svg.setAttribute("viewBox", `0 0 ${width} 100`);
    svg.setAttribute("class", "jh-chart");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", "Invites the recipe would have sent per day");
    perDay.forEach((d, i) => {
      const bar = document.createElementNS(ns, "rect");
      const h = (d.invites / top) * 96;
      bar.setAttribute("x", i * 12 + 1);
      bar.setAttribute("y", 100 - h);
      bar.setAttribute("width", 10);
      bar.setAttribute("height", h);
      bar.setAttribute("fill", "#1d4ed8");
      const title = document.createElementNS(ns, "title");
      title.textContent = `${d.date}: ${d.invites}`;
      bar.appendChild(title);
      svg.appendChild(bar);
    });
    return svg;
  }

  async function backtest(event) {
    event.preventDefault();
    const out = $("#backtest-result");
    const answer = await call("POST", `${api}/${recipe.id}/backtest`, { days: number("#backtest-days") });
    out.innerHTML = "";
    if (!answer.ok) {
      out.textContent = answer.data.error.message;
      return;
    }
    const total = document.createElement("p");
    total.textContent = `${answer.data.invites} invites would have been sent.`;
    out.appendChild(total);
    out.appendChild(bars(answer.data.per_day));
    const held = document.createElement("ul");
    held.className = "jh-held";
    Object.entries(answer.data.held_back).forEach(([step, n]) => listItem(held, `held back by ${step}: ${n}`));
    out.appendChild(held);
  }

  /* ---- suppression rules: the workspace's, beside the recipe ---- */
  function addSuppression(rule) {
    const row = instantiate("suppression-row");
    const rules = part(row, "rules");
    part(row, "name").value = (rule && rule.name) || "";
    $("[data-add-rule-here]", row).addEventListener("click", () => addRule(rules));
    const condition = rule && rule.conditions;
    if (condition) (condition.all || condition.any || [condition]).forEach((r) => addRule(rules, r));
    $('[data-rows="suppression"]').appendChild(row);
  }

  async function saveSuppression(event) {
    event.preventDefault();
    const root = $("#suppression");
    clearErrors(root);
    const rules = $$('[data-rows="suppression"] > fieldset').map((row, i) => {
      part(row, "name").dataset.path = `rules[${i}].name`;
      return { name: part(row, "name").value.trim(), conditions: { all: readRules(part(row, "rules"), `rules[${i}].conditions.all`) } };
    });
    const answer = await call("PUT", "/api/v1/suppression", { rules: rules });
    const status = $("#supp-status");
    if (answer.ok) status.textContent = `Saved: ${answer.data.rules.length} rule(s).`;
    else showErrors(root, status, answer.data.error);
  }

  /* ---- wiring ---- */
  $$("[data-add-rule]").forEach((b) =>
    b.addEventListener("click", () => addRule($(`[data-rows="${b.dataset.addRule}"]`))),
  );
  $$("[data-add-pair]").forEach((b) =>
    b.addEventListener("click", () => $(`[data-pairs="${b.dataset.addPair}"]`).appendChild(instantiate("pair-row"))),
  );
  const addActionButton = $("#add-action");
  if (addActionButton) addActionButton.addEventListener("click", () => addAction());
  $("#add-suppression").addEventListener("click", () => addSuppression());
  ["#trigger-type", "#cap-campaign", "#quiet"].forEach((id) => $(id).addEventListener("change", showTrigger));
  form.addEventListener("submit", save);
  $("#dry-run").addEventListener("submit", dryRun);
  $("#backtest").addEventListener("submit", backtest);
  $("#suppression").addEventListener("submit", saveSuppression);
  if (recipe) load(recipe);
  showTrigger();
  call("GET", "/api/v1/suppression").then((a) => a.ok && (a.data.rules || []).forEach(addSuppression));
})();
