/* allychain dashboard: the Energy page. Each member's fab items and the grid they run on (carbon intensity,
   carbon-free share, outage duration and frequency, energy agreements), the grids of the chain's fab items,
   from /api/energy/profile. What no source gives is "not covered", never drawn as zero. Uses app.js helpers. */
"use strict";

function energyChart(div, grids, own) {
  const known = grids.filter((g) => g.carbon_intensity !== null && g.carbon_intensity !== undefined);
  chart(div, [{ type: "bar", orientation: "h", y: known.map((g) => own.includes(g.country) ? `${g.country} (member)` : g.country),
                x: known.map((g) => g.carbon_intensity), name: "carbon intensity",
                marker: { color: known.map((g) => own.includes(g.country) ? "#1f4e79" : "#7f9cbf") },
                text: known.map((g) => g.carbon_intensity_basis), hovertemplate: "%{y}: %{x} gCO2e/kWh (%{text})<extra></extra>" }],
        { xaxis: { title: "carbon intensity of the grid (gCO2e/kWh)" }, yaxis: { autorange: "reversed" },
          margin: { l: 110, r: 20, t: 30, b: 50 } });
}

async function energyPage() {
  page("Energy: the grids the fabs run on");
  const out = h("div", { id: "energy-out" });
  main.append(out);
  await into(out, async () => {
    const q = new URLSearchParams({ members: membersParam() });
    const d = await api("/api/energy/profile?" + q.toString());
    const own = [...new Set(d.members.map((m) => m.grid).filter((g) => g))];
    const parts = [];
    const missing = d.grids.filter((g) => own.includes(g.country) && g.covered < 7);
    if (missing.length)
      parts.push(noteBox("Not covered — no sourced figure for some measures of the members' grids: " +
                         d.members.filter((m) => m.status.includes("not covered"))
                           .map((m) => `${m.member}${m.item_id ? " " + m.item_id : ""}: ${m.status}`)
                           .filter((v, i, a) => a.indexOf(v) === i).slice(0, 8).join("; ") + ". Unknown, not zero."));
    parts.push(section("Each member's fab items and their grid", table([
      { key: "member", label: "Member" }, { key: "grid", label: "Grid" },
      { key: "item_id", label: "Fab item", render: (r) => r.item_id || "no fab output in the data" },
      { key: "share", label: "Share of world output %", num: true },
      { key: "carbon_intensity", label: "gCO2e/kWh", num: true, digits: 0 },
      { key: "share_carbon_free", label: "Carbon-free %", num: true },
      { key: "saidi", label: "SAIDI min/yr", num: true, digits: 2 },
      { key: "saidi_basis", label: "SAIDI basis" }, { key: "saifi", label: "SAIFI", num: true, digits: 2 },
      { key: "kwh_per_unit", label: "kWh per unit", num: true, digits: 0 },
      { key: "agreements", label: "Energy agreements" }], d.members,
      { label: "Members' fab items and grids", empty: "No member given." })));
    const div = h("div", { class: "chart", id: "energy-chart" });
    parts.push(section("Carbon intensity of the grids", div));
    parts.push(section("The chain's fab items: which grids they run on", table([
      { key: "item_id", label: "Item" }, { key: "grids", label: "Grids (share of world output)" },
      { key: "carbon_intensity", label: "gCO2e/kWh (weighted)", num: true, digits: 0 },
      { key: "carbon_intensity_covered", label: "Output with a figure %", num: true, digits: 0 },
      { key: "top_grid", label: "Largest grid" }, { key: "top_grid_saidi", label: "Its SAIDI", num: true, digits: 2 },
      { key: "status", label: "Status" }], d.items, { label: "Fab items and their grids" })));
    parts.push(section("Energy cooperation", table([
      { key: "signed", label: "Signed" }, { key: "title", label: "Agreement" }, { key: "parties", label: "Parties" },
      { key: "kind", label: "Kind" }, { key: "instrument", label: "Instrument" }], d.cooperation,
      { label: "Energy agreements", empty: "No energy agreement of these members in the data." })));
    parts.push(section("Sources", table([{ key: "title", label: "Title" }, { key: "publisher", label: "Publisher" },
                                         { key: "year", label: "Year", num: true }, { key: "url", label: "Address" }],
                                        d.sources)));
    setTimeout(() => energyChart(div, d.grids, own), 0);
    return parts;
  });
}

window.energyPage = energyPage;
