/* allychain dashboard: a small hash-routed page set over /api. No external resources. */
"use strict";

const main = document.getElementById("main");
const state = { network: null, members: null };

/* ---------------------------------------------------------------- helpers */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

class ApiError extends Error {
  constructor(problem) { super(problem.detail || problem.title); this.problem = problem; }
}

async function api(path, options) {
  const r = await fetch(path, options);
  const type = r.headers.get("content-type") || "";
  const body = type.includes("json") ? await r.json() : await r.text();
  if (!r.ok) throw new ApiError(typeof body === "object" ? body : { title: r.statusText, detail: String(body) });
  return body;
}

function fmt(v, digits) {
  if (v === null || v === undefined || (typeof v === "number" && Number.isNaN(v))) return "—";
  if (Array.isArray(v)) return v.length ? v.join(", ") : "—";
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (v === "inf") return "∞";
  if (typeof v === "number") {
    if (Number.isInteger(v) && digits === undefined) return String(v);
    return v.toLocaleString("en", { maximumFractionDigits: digits === undefined ? 1 : digits,
                                    minimumFractionDigits: 0 });
  }
  return String(v);
}

const itemLink = (id, name) => h("a", { href: "#/item/" + encodeURIComponent(id) }, name || id);
// a display name with its id beside it ("Neon (neon)"); the id alone only where no name is known
const nameWithId = (id, names) => (names && names[id] && names[id] !== id ? `${names[id]} (${id})` : id);
const countryLink = (id, name) => id ? h("a", { href: "#/country/" + encodeURIComponent(id) }, name || id) : "—";

function problemBox(err) {
  const p = err.problem || { title: "Error", detail: String(err.message || err) };
  return h("div", { class: "problem", role: "alert" }, h("strong", {}, p.title + ": "), p.detail || "");
}

function noteBox(text) { return h("p", { class: "note" }, text); }

/* A sortable table. columns: [{key, label, num, render(row)}] */
function table(columns, rows, opts = {}) {
  let sortKey = opts.sortKey || null, dir = opts.dir || 1;
  const tbody = h("tbody");
  const ths = columns.map((c) => {
    const th = h("th", { scope: "col", class: c.num ? "num" : null, "aria-sort": "none" });
    th.append(h("button", { type: "button", class: "link", "aria-label": "Sort by " + c.label,
                            onclick: () => sortBy(c.key) }, c.label));
    return th;
  });
  const value = (row, key) => { const v = row[key]; return Array.isArray(v) ? v.join(", ") : v; };
  function render() {
    let data = rows.slice();
    if (sortKey) {
      data.sort((a, b) => {
        const x = value(a, sortKey), y = value(b, sortKey);
        const xn = x === null || x === undefined, yn = y === null || y === undefined;
        if (xn || yn) return xn && yn ? 0 : xn ? 1 : -1;  // unknown last, in both directions
        if (typeof x === "number" && typeof y === "number") return dir * (x - y);
        return dir * String(x).localeCompare(String(y));
      });
    }
    tbody.replaceChildren(...data.slice(0, opts.limit || 2000).map((r) =>
      h("tr", {}, columns.map((c) => h("td", { class: c.num ? "num" : null },
                                       c.render ? c.render(r) : fmt(r[c.key], c.digits))))));
    ths.forEach((th, i) => th.setAttribute("aria-sort", columns[i].key === sortKey ?
                                           (dir > 0 ? "ascending" : "descending") : "none"));
  }
  function sortBy(key) { dir = sortKey === key ? -dir : (columns.find((c) => c.key === key).num ? -1 : 1);
                         sortKey = key; render(); }
  render();
  const t = h("table", { class: "sortable", "aria-label": opts.label || null },
              h("thead", {}, h("tr", {}, ths)), tbody);
  if (!rows.length) return h("p", { class: "muted" }, opts.empty || "None.");
  return h("div", { class: "table-wrap" }, t);
}

function chart(div, data, layout) {
  if (!window.Plotly) { div.append(noteBox("Charts are unavailable (plotly.js not served).")); return; }
  const base = { margin: { l: 60, r: 20, t: 30, b: 50 }, font: { size: 12 }, hovermode: "closest" };
  window.Plotly.newPlot(div, data, Object.assign(base, layout || {}),
                        { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["sendDataToCloud"] });
}

function membersParam() { return (state.members || []).join(","); }

function page(title, ...children) {
  document.title = title + " · allychain";
  const h1 = h("h1", { tabindex: "-1" }, title);
  main.replaceChildren(h1, ...children);
  return h1;
}

function section(title, ...children) { return h("section", {}, h("h2", {}, title), ...children); }

async function into(container, loader) {
  container.replaceChildren(h("p", { class: "muted", role: "status" }, "Loading…"));
  try { container.replaceChildren(...[].concat(await loader())); }
  catch (err) { container.replaceChildren(problemBox(err)); }
}

/* ---------------------------------------------------------------- pages */
async function overview() {
  const n = state.network;
  page("Overview: " + n.name);
  const cards = h("div", { class: "cards" },
    [["items", "items"], ["stages", "stages"], ["countries", "countries"], ["firms", "firms"],
     ["share_rows", "share rows"], ["share_rows_unknown", "unknown shares"]].map(([k, label]) =>
      h("div", { class: "card" }, h("div", { class: "big" }, fmt(n[k])), h("div", { class: "muted" }, label))));
  const meta = h("p", {}, `Datasets: ${n.datasets.join(", ") || "—"} · share years ${n.years.join(", ") || "—"} · `,
                 `default members: ${state.members.join(" + ")}`);
  const chokeDiv = h("div", {}), chartDiv = h("div", { class: "chart", id: "chokepoint-chart",
                                                       role: "img", "aria-label": "Chokepoints chart" });
  main.append(cards, meta, section("Chokepoints", chartDiv, chokeDiv));
  await into(chokeDiv, async () => {
    const c = await api("/api/analysis/chokepoints");
    const top = c.rows.slice(0, 25).reverse();
    const cutoff = c.rules.find((r) => r.rule === "country_share").threshold;  // thresholds come from the API
    chart(chartDiv, [{ type: "bar", orientation: "h", x: top.map((r) => r.top_country_share),
                       y: top.map((r) => r.item_name), text: top.map((r) => r.top_country || ""),
                       textposition: "outside", marker: { color: top.map((r) => ["#9e9e9e", "#fc8d59", "#d7301f", "#8b0000"][Math.min(r.rules.length, 3)]) },
                       hovertemplate: "%{y}: %{x:.1f} % (%{text})<extra></extra>" }],
          { height: Math.max(320, 22 * top.length + 80), margin: { l: 230, r: 40, t: 20, b: 40 },
            xaxis: { title: { text: "largest country's share (%)" }, range: [0, 110] },
            shapes: [{ type: "line", x0: cutoff, x1: cutoff, yref: "paper", y0: 0, y1: 1, line: { dash: "dash", width: 1 } }] });
    return [noteBox(`${c.count} chokepoint(s) — rules: ` + c.rules.filter((r) => r.enabled)
                      .map((r) => `${r.rule} ≥ ${fmt(r.threshold)}`).join(", ")),
            table([{ key: "item_name", label: "Item", render: (r) => itemLink(r.item_id, r.item_name) },
                   { key: "rules", label: "Rules" },
                   { key: "top_country", label: "Top country", render: (r) => countryLink(r.top_country, r.top_country_name) },
                   { key: "top_country_share", label: "Share %", num: true },
                   { key: "hhi", label: "HHI", num: true, digits: 0 },
                   { key: "top_firm_names", label: "Top firms" },
                   { key: "top3_firm_share", label: "Top-3 firms %", num: true },
                   { key: "country_year", label: "Year", num: true }], c.rows, { label: "Chokepoints" }),
            noteBox(coverageLine(c.coverage))];
  });
}

function coverageLine(cov) {
  if (!cov) return "";
  let s = `Coverage: ${cov.assessed} of ${cov.requested} item(s) assessed.`;
  if (cov.not_assessable && cov.not_assessable.length) s += ` Not assessable (no known share): ${cov.not_assessable.length}.`;
  if (cov.not_in_data && cov.not_in_data.length) s += ` Not in the data: ${cov.not_in_data.join(", ")}.`;
  return s + " Not covered is not “no risk”.";
}

async function valueChain() {
  page("Value chain");
  const filter = h("input", { id: "map-filter", type: "search", placeholder: "Filter items" });
  const holder = h("div", { class: "stages", id: "value-chain" });
  main.append(h("div", { class: "form-row" }, h("label", { for: "map-filter" }, "Filter items", filter)),
              noteBox("Stages of the chain, left to right, with their items; the badge counts providers with a " +
                      "known share. Open an item for its providers, inputs and uses."), holder);
  const m = await api("/api/map");
  function draw() {
    const q = filter.value.trim().toLowerCase();
    holder.replaceChildren(...m.stages.map((s) => {
      const items = s.items.filter((it) => !q || it.name.toLowerCase().includes(q) || it.item_id.includes(q));
      return h("section", { class: "stage", "aria-label": "Stage " + s.name },
        h("h2", {}, s.name, " ", h("span", { class: "badge" }, s.items.length)),
        s.description ? h("p", { class: "note" }, s.description) : null,
        h("ul", {}, items.map((it) => h("li", {}, h("a", { href: "#/item/" + encodeURIComponent(it.item_id),
            "data-item": it.item_id }, h("span", {}, it.name),
            h("span", { class: "badge", title: "providers with a known share" }, it.providers_with_known_share))))));
    }));
  }
  filter.addEventListener("input", draw);
  draw();
}

async function itemPage(id) {
  const it = await api("/api/items/" + encodeURIComponent(id));
  page(it.name);
  const conc = (level) => it.concentration.find((c) => c.level === level) || {};
  const cc = conc("country"), fc = conc("firm");
  main.append(
    h("p", {}, it.description || ""),
    h("p", {}, "Kind: ", it.kind, " · stage: ",
      it.stage_id ? h("a", { href: "#/map" }, it.stage_name || it.stage_id) : "—",
      " · years of share data: ", it.years.length ? it.years.join(", ") : "—"),
    h("div", { class: "cards" },
      h("div", { class: "card" }, h("div", { class: "big" }, fmt(cc.hhi, 0)), h("div", { class: "muted" }, "country HHI")),
      h("div", { class: "card" }, h("div", { class: "big" }, fmt(cc.top1_share)), h("div", { class: "muted" },
        "top country % ", cc.top1 ? `(${cc.top1})` : "")),
      h("div", { class: "card" }, h("div", { class: "big" }, fmt(fc.top3_share)), h("div", { class: "muted" }, "top-3 firms %")),
      h("div", { class: "card" }, h("div", { class: "big" }, fmt(cc.unknown_share)), h("div", { class: "muted" }, "unknown %"))));
  const chartDiv = h("div", { class: "chart", id: "shares-chart", role: "img",
                              "aria-label": "Providers and shares of " + it.name });
  main.append(section("Providers and shares", chartDiv));
  const latest = {};
  for (const s of it.shares) if (s.share !== null) {
    const key = s.kind === "firm" ? "firm" : "country";
    if (latest[key] === undefined || (s.year || 0) > latest[key]) latest[key] = s.year || 0;
  }
  const traces = ["country", "firm"].filter((k) => latest[k] !== undefined).map((k) => {
    const rows = it.shares.filter((s) => (k === "firm") === (s.kind === "firm") && s.share !== null &&
                                         (s.year || 0) === latest[k]).sort((a, b) => a.share - b.share);
    return { type: "bar", orientation: "h", name: `${k === "firm" ? "firms" : "countries"} (${latest[k] || "year unknown"})`,
             x: rows.map((r) => r.share), y: rows.map((r) => `${r.provider || r.provider_id} `),
             hovertemplate: "%{y}: %{x:.1f} %<extra></extra>" };
  });
  if (traces.length) {
    const nbars = traces.reduce((a, t) => a + t.x.length, 0);
    chart(chartDiv, traces, { height: Math.max(300, 24 * nbars + 90), margin: { l: 200, r: 20, t: 20, b: 45 },
                              xaxis: { title: { text: "share of global market (%)" } }, legend: { orientation: "h", y: -0.15 } });
  } else chartDiv.replaceWith(noteBox("No known share: this item is not assessable."));
  main.append(table([
    { key: "provider", label: "Provider", render: (r) => r.kind === "firm" ? (r.provider || r.provider_id)
                                               : countryLink(r.provider_id, r.provider) },
    { key: "kind", label: "Kind" }, { key: "country", label: "Home", render: (r) => countryLink(r.country) },
    { key: "share", label: "Share %", num: true }, { key: "year", label: "Year", num: true },
    { key: "basis", label: "Basis" }, { key: "dataset", label: "Dataset" },
    { key: "source", label: "Source", render: (r) => r.source ? `${r.source}${r.source_year ? " (" + r.source_year + ")" : ""}` : "—" },
  ], it.shares, { label: "Share rows of " + it.name, empty: "No share rows." }));
  const links = (list) => list.length ? h("p", {}, list.map((x) => h("span", { class: "pill" }, itemLink(x.item_id, x.name))))
                                      : h("p", { class: "muted" }, "None in the data.");
  main.append(h("div", { class: "grid2" },
    section("Inputs (goes into this item)", links(it.inputs)),
    section("Used in", links(it.used_in)),
    it.types.length ? section("Variants", links(it.types)) : null,
    it.type_of.length ? section("A type of", links(it.type_of)) : null));
  main.append(section("Sources", it.sources.length ? h("ul", {}, it.sources.map((s) =>
    h("li", {}, s.title, s.publisher ? ` — ${s.publisher}` : "", s.source_year ? ` (${s.source_year})` : "",
      s.url ? h("span", { class: "muted" }, " · ", s.url) : ""))) : h("p", { class: "muted" }, "No source stated.")));
}

async function countriesPage() {
  page("Countries and firms");
  const kind = h("select", { id: "provider-kind" }, ["country", "firm", "region", "aggregate"].map((k) =>
    h("option", { value: k }, k)));
  const holder = h("div", {});
  main.append(h("div", { class: "form-row" }, h("label", { for: "provider-kind" }, "Kind", kind)), holder);
  const load = () => into(holder, async () => {
    const rows = await api("/api/providers?kind=" + kind.value);
    return table([{ key: "name", label: "Name", render: (r) => countryLink(r.provider_id, r.name) },
                  { key: "provider_id", label: "Id" }, { key: "country", label: "Home country" },
                  { key: "items", label: "Items with share rows", num: true }], rows,
                 { sortKey: "items", dir: -1, label: "Providers" });
  });
  kind.addEventListener("change", load);
  await load();
}

async function countryPage(id) {
  const p = await api("/api/providers/" + encodeURIComponent(id));
  page(`${p.name} (${p.provider_id})`);
  main.append(h("p", {}, "Kind: ", p.kind, p.country ? [" · home country: ", countryLink(p.country)] : "",
                p.firms.length ? ` · ${p.firms.length} firm(s) in the data` : ""));
  const chartDiv = h("div", { class: "chart", id: "supplies-chart", role: "img", "aria-label": "What " + p.name + " supplies" });
  const known = p.supplies.filter((s) => s.share !== null && s.via === p.provider_id);
  const latest = {};
  for (const s of known) if (!latest[s.item_id] || (s.year || 0) > (latest[s.item_id].year || 0)) latest[s.item_id] = s;
  const bars = Object.values(latest).sort((a, b) => a.share - b.share).slice(-30);
  main.append(section("What it supplies", chartDiv));
  if (bars.length) {
    chart(chartDiv, [{ type: "bar", orientation: "h", x: bars.map((r) => r.share), y: bars.map((r) => r.item_name + " "),
                       hovertemplate: "%{y}: %{x:.1f} %<extra></extra>" }],
          { height: Math.max(280, 22 * bars.length + 80), margin: { l: 240, r: 20, t: 10, b: 45 },
            xaxis: { title: { text: "share of global market (%), latest year" } } });
  } else chartDiv.replaceWith(noteBox("No known share of its own (see the firms' rows below)."));
  main.append(table([{ key: "item_name", label: "Item", render: (r) => itemLink(r.item_id, r.item_name) },
                     { key: "via", label: "Provider" }, { key: "share", label: "Share %", num: true },
                     { key: "year", label: "Year", num: true }, { key: "dataset", label: "Dataset" }],
                    p.supplies, { label: "Supplies of " + p.name, empty: "It supplies nothing in the data." }));
  if (p.kind !== "country") return;
  const deps = h("div", {});
  main.append(section("What it depends on", deps));
  await into(deps, async () => {
    const d = await api("/api/analysis/dependencies?members=" + encodeURIComponent(p.provider_id));
    return [h("p", {}, `${d.dependencies.length} items needed through all tiers; `,
              h("strong", {}, `${d.critical_count} critical`), " (one foreign country holds ≥ " + d.critical_share + " %)."),
            depTable(d.dependencies, "Dependencies of " + p.name), noteBox(coverageLine(d.coverage))];
  });
}

function depTable(rows, label) {
  return table([{ key: "item_name", label: "Item", render: (r) => itemLink(r.item_id, r.item_name) },
                { key: "tier", label: "Tier", num: true },
                { key: "critical", label: "Critical", render: (r) => r.critical === null ? "—" :
                  (r.critical ? h("span", { class: "badge crit" }, "critical") : "no") },
                { key: "internal_share", label: "Internal %", num: true },
                { key: "foreign_share", label: "Foreign %", num: true },
                { key: "top_foreign_country", label: "Largest foreign", render: (r) => countryLink(r.top_foreign_country, r.top_foreign_name) },
                { key: "top_foreign_share", label: "Its share %", num: true },
                { key: "year", label: "Year", num: true }], rows, { label });
}

async function alliancePage() {
  page("The alliance");
  const input = h("input", { id: "members", value: membersParam(), size: 24, "aria-describedby": "members-help" });
  const holder = h("div", {});
  const form = h("form", { class: "form-row", onsubmit: (e) => { e.preventDefault(); state.members = input.value.split(",").map((s) => s.trim().toUpperCase()).filter(Boolean); draw(); } },
    h("label", { for: "members" }, "Members", input), h("button", { type: "submit" }, "Analyse"),
    h("span", { id: "members-help", class: "muted" }, "ISO codes or country names, comma-separated"));
  const packBtn = h("button", { type: "button", id: "build-brief" }, "Build briefing pack");
  const packStatus = h("span", { id: "brief-status", role: "status", "aria-live": "polite" });
  packBtn.addEventListener("click", async () => {
    packBtn.disabled = true;
    try {
      const scenarios = [];
      let job = await api("/api/jobs/report", { method: "POST", headers: { "Content-Type": "application/json" },
                                                body: JSON.stringify({ members: input.value, scenarios }) });
      while (job.status === "queued" || job.status === "running") {
        packStatus.textContent = `building: ${Math.round(job.progress * 100)} % — ${job.message}`;
        await new Promise((r) => setTimeout(r, 400));
        job = await api("/api/jobs/" + job.id);
      }
      if (job.status === "failed") packStatus.replaceChildren(problemBox(new ApiError(job.error)));
      else packStatus.replaceChildren("ready: ", h("a", { href: "/api/reports/" + job.id, target: "_blank",
                                                          id: "brief-link" }, "open the briefing pack (HTML)"));
    } catch (err) { packStatus.replaceChildren(problemBox(err)); }
    finally { packBtn.disabled = false; }
  });
  main.append(form, h("div", { class: "form-row" }, packBtn, packStatus), holder);
  async function draw() {
    await into(holder, async () => {
      const m = encodeURIComponent(input.value);
      const [a, p, sv] = await Promise.all([api("/api/analysis/alliance?members=" + m),
                                            api("/api/analysis/partners?k=3&members=" + m),
                                            api("/api/analysis/severity?top=10&members=" + m)]);
      const cov = a.coverage;
      const out = [h("div", { class: "cards" },
        h("div", { class: "card" }, h("div", { class: "big" }, a.dependencies.length), h("div", { class: "muted" }, "items needed")),
        h("div", { class: "card" }, h("div", { class: "big" }, a.critical_count), h("div", { class: "muted" }, "critical dependencies")),
        h("div", { class: "card" }, h("div", { class: "big" }, a.shared_dependencies.length), h("div", { class: "muted" }, "shared by all members")),
        h("div", { class: "card" }, h("div", { class: "big" }, a.no_supplier.length), h("div", { class: "muted" }, "no member supplies")),
        h("div", { class: "card" }, h("div", { class: "big" }, `${cov.assessed}/${cov.requested}`), h("div", { class: "muted" }, "assessed (coverage)")))];
      out.push(section("Coverage", noteBox(coverageLine(cov)),
        cov.not_assessable.length ? h("p", {}, "Not assessable: ", cov.not_assessable.map((i) => h("span", { class: "pill" }, itemLink(i, nameWithId(i, cov.names))))) : null));
      out.push(section(`The ten that matter most (severity: ${sv.tiers.critical} critical, ${sv.tiers.high} high, ` +
                       `${sv.tiers.watch} watch of ${sv.assessed} scored)`,
        noteBox("Components 0–1; “—” is unknown, not 0. Agreement cover is not known until agreements are registered. " +
                "Score = weighted mean of the known components; the range puts the unknown ones at 0 and 1."),
        table([{ key: "rank", label: "#", num: true },
               { key: "item_name", label: "Item", render: (r) => itemLink(r.item_id, `${r.item_name} (${r.item_id})`) },
               { key: "tier", label: "Tier" },
               { key: "score", label: "Score", num: true, digits: 2 },
               { key: "score_range", label: "Range", render: (r) => `${fmt(r.score_low, 2)}–${fmt(r.score_high, 2)}` },
               { key: "concentration", label: "Concentration", num: true, digits: 2 },
               { key: "substitutability", label: "Substitutability", num: true, digits: 2 },
               { key: "time_to_build", label: "Time to build", num: true, digits: 2 },
               { key: "exposure", label: "Exposure", num: true, digits: 2 },
               { key: "agreement_cover", label: "Agreement cover", num: true, digits: 2 },
               { key: "supplier_name", label: "Largest outside supplier", render: (r) => countryLink(r.supplier, r.supplier_name) },
               { key: "rules", label: "Rules fired" }], sv.rows,
              { label: "Most severe dependencies", empty: "No dependency could be scored." })));
      const mx = a.complementarity_matrix;
      const heat = h("div", { class: "chart", id: "complementarity-chart", role: "img", "aria-label": "Complementarity matrix" });
      out.push(section("Complementarity: items of the customer's dependencies the supplier provides", heat));
      const memberCols = a.members.map((mm) => ({ key: "share_" + mm, label: mm + " %", num: true }));
      out.push(section("Shared outside dependencies", table([
        { key: "item_name", label: "Item", render: (r) => itemLink(r.item_id, r.item_name) },
        { key: "outside_country", label: "Outside country", render: (r) => countryLink(r.outside_country, r.outside_name) },
        { key: "outside_share", label: "Its share %", num: true }, { key: "year", label: "Year", num: true }],
        a.shared_dependencies, { label: "Shared dependencies", empty: "No critical dependency is shared by every member." })));
      out.push(section("Critical dependencies of the alliance", depTable(a.dependencies.filter((d) => d.critical), "Critical dependencies")));
      out.push(section("Where the members hold the market", table([
        { key: "item_name", label: "Item", render: (r) => itemLink(r.item_id, r.item_name) }, ...memberCols,
        { key: "combined_share", label: "Combined %", num: true },
        { key: "top_outside", label: "Largest outside", render: (r) => countryLink(r.top_outside) },
        { key: "top_outside_share", label: "Its share %", num: true }, { key: "year", label: "Year", num: true }],
        a.shares.filter((r) => r.status === "assessed"), { label: "Members' shares" })));
      const pchart = h("div", { class: "chart", id: "partners-chart", role: "img", "aria-label": "Partner scores" });
      out.push(section("Partners", h("p", {}, "Best set of three (greedy): ",
        p.best && p.best.length ? p.best.map((b) => h("span", { class: "pill" }, countryLink(b.country, b.country_name), ` +${fmt(b.gain, 0)}`)) : "none"),
        pchart, table([{ key: "rank", label: "Rank", num: true },
                       { key: "country_name", label: "Country", render: (r) => countryLink(r.country, r.country_name) },
                       { key: "score", label: "Score", num: true }, { key: "resolved", label: "Resolved", num: true },
                       { key: "internalised_share", label: "Share points internalised", num: true },
                       { key: "resolved_item_names", label: "Items resolved" }], p.rows.filter((r) => r.score > 0),
                      { label: "Partner candidates", empty: "No candidate resolves a critical dependency." })));
      out.push(section("Gaps: no member supplies", h("p", {}, a.no_supplier.map((i) => h("span", { class: "pill" }, itemLink(i, nameWithId(i, a.item_names)))))));
      setTimeout(() => {
        if (mx.values.length) chart(heat, [{ type: "heatmap", z: mx.values, x: mx.customers, y: mx.suppliers,
          colorscale: "Blues", reversescale: true, hovertemplate: "supplier %{y} → customer %{x}: %{z} items<extra></extra>",
          text: mx.values.map((row) => row.map((v) => v === null ? "—" : String(v))), texttemplate: "%{text}" }],
          { height: 120 + 60 * mx.suppliers.length, xaxis: { title: { text: "customer" } }, yaxis: { title: { text: "supplier" } } });
        else heat.replaceWith(noteBox("Fewer than two members: no complementarity."));
        const pr = p.rows.filter((r) => r.score > 0).slice(0, 15).reverse();
        if (pr.length) chart(pchart, [{ type: "bar", orientation: "h", x: pr.map((r) => r.score), y: pr.map((r) => r.country_name + " "),
          hovertemplate: "%{y}: %{x}<extra></extra>" }], { height: 80 + 24 * pr.length, margin: { l: 160, r: 20, t: 10, b: 45 },
          xaxis: { title: { text: "critical dependencies resolved" } } });
        else pchart.remove();
      }, 0);
      return out;
    });
  }
  await draw();
}

async function scenariosPage() {
  page("Scenario runner");
  const list = await api("/api/scenarios");
  const select = h("select", { id: "scenario-select" }, list.map((s) => h("option", { value: s.id }, s.name)));
  const desc = h("p", { class: "note", id: "scenario-description" });
  const file = h("input", { id: "scenario-file", type: "file", accept: ".yaml,.yml,text/yaml" });
  const steps = h("input", { id: "scenario-steps", type: "number", min: "1", max: "3650", placeholder: "horizon" });
  const run = h("button", { id: "run-scenario", type: "submit" }, "Run scenario");
  const bar = h("progress", { id: "scenario-progress", max: "1", value: "0", "aria-label": "Scenario progress" });
  const status = h("p", { id: "scenario-status", role: "status", "aria-live": "polite" }, "");
  const result = h("div", { id: "scenario-result" });
  const showDesc = () => { const s = list.find((x) => x.id === select.value);
                           desc.textContent = s ? `${s.description} (data: ${s.data || "server"}; ${s.horizon} steps)` : ""; };
  select.addEventListener("change", showDesc);
  showDesc();
  const form = h("form", { onsubmit: (e) => { e.preventDefault(); submit(); } },
    h("fieldset", {}, h("legend", {}, "Choose a scenario"),
      h("div", { class: "form-row" }, h("label", { for: "scenario-select" }, "Built-in scenario", select),
        h("label", { for: "scenario-file" }, "…or upload a scenario YAML", file),
        h("label", { for: "scenario-steps" }, "Steps (optional)", steps), run), desc));
  main.append(form, h("div", { class: "form-row" }, bar, status), result);
  async function submit() {
    run.disabled = true; result.replaceChildren(); bar.value = 0;
    try {
      const body = {};
      if (file.files && file.files.length) body.yaml = await file.files[0].text();
      else body.scenario = select.value;
      if (steps.value) body.steps = Number(steps.value);
      let job = await api("/api/jobs/scenario", { method: "POST", headers: { "Content-Type": "application/json" },
                                                  body: JSON.stringify(body) });
      status.textContent = `${job.label}: ${job.message}`;
      while (job.status === "queued" || job.status === "running") {
        await new Promise((r) => setTimeout(r, 250));
        job = await api("/api/jobs/" + job.id);
        bar.value = job.progress;
        status.textContent = `${job.label}: ${job.status}, ${Math.round(job.progress * 100)} % — ${job.message}`;
      }
      if (job.status === "failed") { result.replaceChildren(problemBox(new ApiError(job.error))); status.textContent = "failed"; return; }
      const res = await api(`/api/jobs/${job.id}/result`);
      status.textContent = `${job.label}: done in ${fmt(job.seconds, 1)} s`;
      showResult(res);
    } catch (err) { result.replaceChildren(problemBox(err)); status.textContent = "failed"; }
    finally { run.disabled = false; }
  }
  function showResult(res) {
    const s = res.series;
    const div = h("div", { class: "chart", id: "scenario-chart", role: "img", "aria-label": "Production over time" });
    const rows = [{ name: "total", ...res.summary.total },
                  ...Object.entries(res.summary.alliances || {}).map(([g, v]) => ({ name: g + " (alliance)", ...v })),
                  ...Object.entries(res.summary.regions).map(([r, v]) => ({ name: r, ...v }))];
    rows.forEach((r) => { r.loss_pct = r.total_loss_share * 100; r.peak_pct = r.peak_loss_share * 100; });
    result.replaceChildren(h("h2", {}, res.scenario.name), h("p", { class: "note" }, res.scenario.description), div,
      table([{ key: "name", label: "Region or group" }, { key: "loss_pct", label: "Output lost, % of period", num: true, digits: 2 },
             { key: "peak_pct", label: "Peak loss %", num: true }, { key: "peak_step", label: "Peak step", num: true },
             { key: "time_to_recover", label: "Steps to recover", num: true }], rows,
            { sortKey: "peak_pct", dir: -1, label: "Scenario losses" }));
    const traces = [{ x: s.step, y: s.total, name: "total", line: { width: 3, color: "black" } },
      ...Object.entries(s.alliances).map(([g, v]) => ({ x: s.step, y: v, name: g + " (alliance)", line: { width: 3, dash: "dash" } })),
      ...Object.entries(s.regions).map(([r, v]) => ({ x: s.step, y: v, name: r, line: { width: 1.5 } }))];
    chart(div, traces.map((t) => ({ type: "scatter", mode: "lines", ...t })),
          { height: 420, xaxis: { title: { text: "step (day)" } }, yaxis: { title: { text: "production, % of baseline" } } });
  }
}

async function apiPage() {
  page("API");
  const o = await api("/openapi.json");
  main.append(h("p", {}, "Machine-readable description: ", h("a", { href: "/openapi.json" }, "/openapi.json"),
                ". Errors are application/problem+json."));
  const rows = [];
  for (const [path, ops] of Object.entries(o.paths)) for (const [method, op] of Object.entries(ops))
    rows.push({ method: method.toUpperCase(), path, summary: op.summary || "", tag: (op.tags || [""])[0] });
  main.append(table([{ key: "tag", label: "Group" }, { key: "method", label: "Method" },
                     { key: "path", label: "Path", render: (r) => r.method === "GET" && !r.path.includes("{") ?
                       h("a", { href: r.path }, r.path) : r.path },
                     { key: "summary", label: "What it answers" }], rows, { label: "Endpoints" }));
}

async function searchPage(q) {
  page(`Search: ${q}`);
  const hits = await api("/api/search?q=" + encodeURIComponent(q));
  main.append(table([{ key: "name", label: "Name", render: (r) => r.type === "item" ? itemLink(r.id, r.name)
                         : r.type === "provider" ? countryLink(r.id, r.name) : h("a", { href: "#/map" }, r.name) },
                     { key: "type", label: "Type" }, { key: "kind", label: "Kind" }, { key: "id", label: "Id" }],
                    hits, { label: "Search results", empty: "Nothing found." }));
}

/* ---------------------------------------------------------------- router */
const routes = [
  [/^#?\/?$/, overview, "overview"], [/^#\/map$/, valueChain, "map"], [/^#\/item\/(.+)$/, itemPage, "map"],
  [/^#\/countries$/, countriesPage, "countries"], [/^#\/country\/(.+)$/, countryPage, "countries"],
  [/^#\/alliance$/, alliancePage, "alliance"], [/^#\/scenarios$/, scenariosPage, "scenarios"],
  [/^#\/api$/, apiPage, "api"], [/^#\/search\/(.+)$/, searchPage, null],
  [/^#\/watch$/, (...a) => window.watchPage(...a), "watch"],
  [/^#\/talent$/, (...a) => window.talentPage(...a), "talent"],
  [/^#\/energy$/, (...a) => window.energyPage(...a), "energy"],
];

async function route() {
  const hash = location.hash || "#/";
  delete main.dataset.ready;
  for (const [re, fn, nav] of routes) {
    const m = hash.match(re);
    if (!m) continue;
    document.querySelectorAll("nav a[data-nav]").forEach((a) =>
      a.dataset.nav === nav ? a.setAttribute("aria-current", "page") : a.removeAttribute("aria-current"));
    main.replaceChildren(h("p", { class: "muted", role: "status" }, "Loading…"));
    try { await fn(...m.slice(1).map(decodeURIComponent)); }
    catch (err) { page("Cannot show this page"); main.append(problemBox(err)); }
    const h1 = main.querySelector("h1");
    if (h1 && document.activeElement !== document.getElementById("q")) h1.focus({ preventScroll: false });
    window.scrollTo(0, 0);
    main.dataset.ready = hash;
    return;
  }
  page("Not found"); main.append(h("p", {}, "No such page. ", h("a", { href: "#/" }, "Back to the overview")));
  main.dataset.ready = hash;
}

async function start() {
  document.getElementById("search").addEventListener("submit", (e) => {
    e.preventDefault();
    const q = document.getElementById("q").value.trim();
    if (q) location.hash = "#/search/" + encodeURIComponent(q);
  });
  try {
    state.network = await api("/api/network");
    state.members = state.network.default_members;
    document.getElementById("data-label").textContent = `data: ${state.network.data}`;
  } catch (err) { main.replaceChildren(problemBox(err)); return; }
  window.addEventListener("hashchange", route);
  await route();
}

start();
