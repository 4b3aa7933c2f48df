/* allychain dashboard: the Talent page. The members' workforce gap per year, without and with a built-in
   programme (default: the alliance's Korea-Netherlands programme), from /api/talent/gap. Members without
   sourced figures are named as not covered, never drawn as zero. Uses the helpers of app.js. */
"use strict";

const TALENT_PROGRAMMES = [["builtin:kor-nld", "the alliance's programme (Korea-Netherlands, 500 experts by 2028)"],
                           ["builtin:nld-microchip-talent", "the Dutch National Microchip Talent Plan"],
                           ["none", "no programme"]];

function talentChart(div, rows) {
  const groups = {};
  for (const r of rows) (groups[`${r.country} ${r.level}`] ||= []).push(r);
  const data = [];
  for (const [name, rs] of Object.entries(groups)) {
    const x = rs.map((r) => r.year);
    data.push({ x, y: rs.map((r) => r.gap), name: `${name}: without`, mode: "lines+markers", type: "scatter" });
    if (rs.some((r) => r.gap_with !== undefined && r.gap_with !== null && r.closed))
      data.push({ x, y: rs.map((r) => r.gap_with), name: `${name}: with the programme`, mode: "lines",
                  line: { dash: "dash" }, type: "scatter" });
  }
  chart(div, data, { xaxis: { title: "year" }, yaxis: { title: "workers needed − available" } });
}

async function talentPage() {
  page("Talent: the workforce gap");
  const select = h("select", { id: "talent-programme", "aria-label": "Programme" },
                   TALENT_PROGRAMMES.map(([v, label]) => h("option", { value: v }, label)));
  const out = h("div", { id: "talent-out" });
  const load = () => into(out, async () => {
    const q = new URLSearchParams({ members: membersParam(), programme: select.value });
    const d = await api("/api/talent/gap?" + q.toString());
    const parts = [];
    if (d.not_covered.length)
      parts.push(noteBox(`Not covered — no sourced workforce figures: ${d.not_covered.join(", ")}. ` +
                         "Their gap is unknown, not zero."));
    const div = h("div", { class: "chart", id: "talent-chart" });
    parts.push(div);
    const rows = d.rows.concat(d.total);
    parts.push(table([{ key: "country", label: "Member" }, { key: "level", label: "Skill level" },
                      { key: "year", label: "Year", num: true },
                      { key: "demand", label: "Needed", num: true, digits: 0 },
                      { key: "stock", label: "Available", num: true, digits: 0 },
                      { key: "gap", label: "Gap without", num: true, digits: 0 },
                      { key: "gap_with", label: "Gap with the programme", num: true, digits: 0 },
                      { key: "closed", label: "Closed by it", num: true, digits: 0 }], rows,
                     { label: "Workforce gap per member and year", empty: "No member has sourced figures." }));
    if (d.uncovered_flows.length)
      parts.push(noteBox("Flows without a sourced figure (counted as no flow): " +
                         [...new Set(d.uncovered_flows.map((u) => `${u.country} ${u.level}: ${u.flow}`))].join("; ")));
    parts.push(section("Sources", table([{ key: "title", label: "Title" }, { key: "publisher", label: "Publisher" },
                                         { key: "year", label: "Year", num: true }, { key: "url", label: "Address" }],
                                        d.sources)));
    setTimeout(() => talentChart(div, rows), 0);
    return parts;
  });
  select.addEventListener("change", load);
  main.append(h("p", {}, h("label", { for: "talent-programme" }, "Programme: "), select), out);
  await load();
}

window.talentPage = talentPage;
