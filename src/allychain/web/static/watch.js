/* allychain dashboard: the Watch page. Paste a text, see its events with every field's span highlighted.
   Uses the helpers of app.js (h, api, page, table, fmt, problemBox, noteBox). User text is only ever put
   into the page as text nodes (never as HTML). */
"use strict";

const WATCH_FIELDS = [
  // [event key, css class, label]; earlier fields win where spans overlap
  ["items", "f-item", "item"], ["unlinked", "f-unlinked", "not linked"], ["firms", "f-firm", "firm"],
  ["imposing", "f-imposing", "imposing"], ["targeted", "f-targeted", "targeted"],
  ["locations", "f-location", "location"], ["announced", "f-announced", "announced"],
  ["effective", "f-effective", "effective"], ["trigger", "f-trigger", "trigger"],
];

const WATCH_EXAMPLE = "On 3 July 2023, China's Ministry of Commerce said that exporters of gallium and germanium " +
  "products will need licences from 1 August. Graphite may follow.\n\nA fire on 3 January damaged part of ASML's " +
  "factory in Berlin, Germany, which makes parts for EUV systems.";

function watchSpans(events) {
  const spans = [];
  events.forEach((ev, n) => {
    for (const [key, cls, label] of WATCH_FIELDS) {
      const v = ev[key];
      for (const m of (Array.isArray(v) ? v : v ? [v] : [])) {
        const what = m.value || (m.ids && m.ids.length ? m.ids.join(", ") : m.id) || m.reason || "";
        spans.push({ start: m.start, end: m.end, cls, title: `event ${n + 1} (${ev.type}): ${label}` +
                     (what && what !== ev.type ? ` = ${what}` : "") });
      }
    }
  });
  spans.sort((a, b) => a.start - b.start || (b.end - b.start) - (a.end - a.start));
  const out = [];
  let last = -1;
  for (const s of spans) if (s.start >= last) { out.push(s); last = s.end; }
  return out;
}

/* The text with <mark> elements; offsets are Unicode code points (as the server counts them). */
function watchHighlight(text, events) {
  const cps = Array.from(text);
  const box = h("div", { class: "watch-text", id: "watch-text", tabindex: "0", "aria-label": "Text with highlighted fields" });
  let pos = 0;
  for (const s of watchSpans(events)) {
    if (s.start > pos) box.append(document.createTextNode(cps.slice(pos, s.start).join("")));
    box.append(h("mark", { class: s.cls, title: s.title }, cps.slice(s.start, s.end).join("")));
    pos = s.end;
  }
  if (pos < cps.length) box.append(document.createTextNode(cps.slice(pos).join("")));
  return box;
}

function watchLegend() {
  return h("p", { class: "legend" }, WATCH_FIELDS.map(([, cls, label]) => h("mark", { class: cls }, label)));
}

async function watchPage() {
  page("Watch: events in a text");
  const text = h("textarea", { id: "watch-input", rows: "10", maxlength: "1000000",
                               placeholder: "Paste a notice, a press release or a news text (English)." });
  const date = h("input", { id: "watch-date", type: "date" });
  const members = h("input", { id: "watch-members", value: (state.members || []).join(","), size: "12" });
  const run = h("button", { type: "submit", id: "watch-run" }, "Find events");
  const status = h("span", { class: "muted", role: "status" });
  const result = h("div", { id: "watch-result" });
  const form = h("form", { id: "watch-form" },
    h("label", { for: "watch-input" }, "Text"), text,
    h("div", { class: "form-row" },
      h("label", { for: "watch-date" }, "Document date (for “next month”, “within 90 days”)", date),
      h("label", { for: "watch-members" }, "Members", members), run, status,
      h("button", { type: "button", class: "link", onclick: () => { text.value = WATCH_EXAMPLE;
                                                                      date.value = "2023-07-03"; } }, "Example")));
  main.append(noteBox("Read offline by the server: items are linked to the network, unknown product names are " +
                      "listed as not linked, and each event shows the members that need its items through all tiers."),
              form, result);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    run.disabled = true; status.textContent = "reading…";
    const body = { text: text.value, members: members.value || null };
    if (date.value) body.date = date.value;
    try {
      const res = await api("/api/watch/extract", { method: "POST", headers: { "Content-Type": "application/json" },
                                                    body: JSON.stringify(body) });
      status.textContent = `${res.events.length} event(s) in ${res.sentences} sentence(s)`;
      watchShow(result, text.value, res);
    } catch (err) { result.replaceChildren(problemBox(err)); status.textContent = "failed"; }
    finally { run.disabled = false; }
  });
}

function watchShow(result, text, res) {
  const rows = res.events.map((ev, i) => ({
    n: i + 1, type: ev.type, items: ev.item_ids, unlinked: ev.unlinked_names, imposing: ev.imposing_ids,
    targeted: ev.targeted_ids, locations: ev.location_ids, firms: ev.firm_ids, announced: ev.announced_date,
    effective: ev.effective_date, exposed: res.linked ? res.linked[i].exposed_members : null,
    coverage: res.linked ? res.linked[i].coverage : null }));
  const exposure = [];
  (res.linked || []).forEach((l, i) => l.exposure.forEach((r) => exposure.push({ n: i + 1, ...r })));
  result.replaceChildren(
    ...res.warnings.map((w) => noteBox("Note: " + w)),
    watchLegend(), watchHighlight(text, res.events),
    h("h2", {}, "Events"),
    table([{ key: "n", label: "#", num: true }, { key: "type", label: "Type" }, { key: "items", label: "Items" },
           { key: "unlinked", label: "Not linked" }, { key: "imposing", label: "Imposing" },
           { key: "targeted", label: "Targeted" }, { key: "locations", label: "Locations" },
           { key: "firms", label: "Firms" }, { key: "announced", label: "Announced" },
           { key: "effective", label: "Effective" }, { key: "exposed", label: "Exposed members" },
           { key: "coverage", label: "Coverage" }],
          rows, { label: "Events", empty: "No event found in this text." }),
    h("h2", {}, "Exposure by member and item"),
    table([{ key: "n", label: "Event", num: true }, { key: "member", label: "Member" },
           { key: "item_name", label: "Item" }, { key: "status", label: "Status" },
           { key: "tier", label: "Tier", num: true }, { key: "origin_share", label: "Origin share %", num: true },
           { key: "reason", label: "Why" }], exposure, { label: "Exposure", empty: "No item to assess." }));
}

window.watchPage = watchPage;
