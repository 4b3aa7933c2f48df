"""Regenerate the malformed-input corpus (one native-format folder per case).

Run ``python tests/corpus/make_corpus.py`` from the repository root after editing a
case below; ``cases.yaml`` beside this script lists what each case must report.
Every case starts from one of two small valid folders and changes one thing.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent

ITEMS = "item_id,name,kind\nN1,Silicon wafers,material\nN2,Lithography tools,tool\nN3,Logic chips,chip\n"
PROVIDERS = "provider_id,name,kind,country\nUSA,United States,country,\nKOR,South Korea,country,\nASML,ASML Holding,firm,NLD\n"
SHARES = "item_id,provider_id,share,year\nN1,USA,40,2021\nN1,KOR,35,2021\nN2,ASML,90,2021\n"
RELATIONS = "source,target,kind\nN1,N3,goes_into\nN2,N3,goes_into\n"
NODES = "node_id,product,capacity,inventory,demand,margin,ttr\nW1,wafer,100,10,,,2\nF1,chip,50,5,40,3.5,4\n"
EDGES = "supplier,customer\nW1,F1\n"
BOM = "node_id,input_product,quantity\nF1,wafer,2\n"

SHARE_NET = {"items.csv": ITEMS, "providers.csv": PROVIDERS, "shares.csv": SHARES}
SITE_NET = {"nodes.csv": NODES, "edges.csv": EDGES, "bom.csv": BOM}


def manifest(**changes: object) -> str:
    m: dict[str, object] = {"format": "allychain-network", "version": 1, "name": "corpus",
                            "tables": {"items": "items.csv", "providers": "providers.csv", "shares": "shares.csv"}}
    m.update(changes)
    return json.dumps(m, indent=2) + "\n"


def shares(*rows: str, header: str = "item_id,provider_id,share,year") -> dict[str, str]:
    return {**SHARE_NET, "shares.csv": header + "\n" + "".join(r + "\n" for r in rows)}


def nodes(*rows: str) -> dict[str, str]:
    return {**SITE_NET, "nodes.csv": "node_id,product,capacity,inventory,demand,margin,ttr\n" + "".join(r + "\n" for r in rows)}


def relations(*rows: str) -> dict[str, str]:
    return {**SHARE_NET, "relations.csv": "source,target,kind\n" + "".join(r + "\n" for r in rows)}


CASES: dict[str, dict[str, str | bytes]] = {
    # --- CSV structure -------------------------------------------------------------
    "truncated_row": shares("N1,USA,40,2021", "N1,KOR", "N2,ASML,90,2021"),
    "truncated_file": {**SHARE_NET, "shares.csv": "item_id,provider_id,share,year\nN1,USA,40,2021\nN2,AS"},
    "extra_fields": shares("N1,USA,40,2021", "N1,KOR,35,2021,extra"),
    "unterminated_quote": {**SHARE_NET, "items.csv": 'item_id,name,kind\nN1,Silicon wafers,material\nN2,"Lithography tools,tool\nN3,Logic chips,chip\n'},
    "quote_garbage": {**SHARE_NET, "items.csv": 'item_id,name,kind\nN1,Silicon wafers,material\nN2,"Litho"graphy,tool\n'},
    "empty_file": {**SHARE_NET, "items.csv": ""},
    "blank_file": {**SHARE_NET, "providers.csv": "\n  \n\n"},
    "duplicate_column_names": {**SHARE_NET, "items.csv": "item_id,name,kind,name\nN1,Silicon wafers,material,x\n"},
    "empty_column_name": {**SHARE_NET, "items.csv": "item_id,,kind\nN1,Silicon wafers,material\n"},
    "multiline_row_numbers": {**SHARE_NET, "items.csv": 'item_id,name,kind,description\nN1,Silicon wafers,material,"Two\nlines"\nN2,Lithography tools,gadget,\nN3,Logic chips,chip,\n'},
    # --- encodings -----------------------------------------------------------------
    "latin1_bytes": {**SHARE_NET, "providers.csv": (PROVIDERS + "CIV,Côte d'Ivoire,country,\n").encode("latin-1")},
    "utf16_file": {**SHARE_NET, "items.csv": ITEMS.encode("utf-16")},
    "nul_bytes": {**SHARE_NET, "items.csv": "item_id,name,kind\nN1,Silicon wafers,material\nN2,Litho\x00graphy tools,tool\n"},
    # --- types and ranges ----------------------------------------------------------
    "capacity_text": nodes("W1,wafer,lots,10,,,2", "F1,chip,50,5,40,3.5,4"),
    "negative_capacity": nodes("W1,wafer,-100,10,,,2", "F1,chip,50,5,40,3.5,4"),
    "nan_inf_text": nodes("W1,wafer,NaN,10,,,2", "F1,chip,50,inf,40,3.5,4"),
    "year_text": shares("N1,USA,40,abc", "N1,KOR,35,2021"),
    "year_fraction": shares("N1,USA,40,2021", "N1,KOR,35,20.5"),
    "year_implausible": shares("N1,USA,40,1850", "N1,KOR,35,2021"),
    "share_150": shares("N1,USA,150,2021", "N1,KOR,35,2021"),
    "share_negative": shares("N1,USA,40,2021", "N1,KOR,-5,2021"),
    "share_double_percent": shares("N1,USA,61%,2021", "N1,KOR,61%%,2021"),
    "share_text": shares("N1,USA,about forty,2021"),
    "negligible_not_bool": shares("N1,USA,40,2021,maybe", header="item_id,provider_id,share,year,negligible"),
    "zero_bom_quantity": {**SITE_NET, "bom.csv": "node_id,input_product,quantity\nF1,wafer,0\n"},
    "edge_share_above_one": {**SITE_NET, "edges.csv": "supplier,customer,share\nW1,F1,1.5\n"},
    # --- required values and enums -------------------------------------------------
    "empty_required_value": {**SHARE_NET, "items.csv": "item_id,name,kind\nN1,Silicon wafers,material\nN2,,tool\nN3,Logic chips,chip\n"},
    "missing_required_column": {**SITE_NET, "nodes.csv": "node_id,product,inventory\nW1,wafer,10\nF1,chip,5\n"},
    "unknown_item_kind": {**SHARE_NET, "items.csv": "item_id,name,kind\nN1,Silicon wafers,material\nN2,Lithography tools,widget\nN3,Logic chips,chip\n"},
    "unknown_provider_kind": {**SHARE_NET, "providers.csv": "provider_id,name,kind\nUSA,United States,country\nKOR,South Korea,nation\nASML,ASML Holding,firm\n"},
    "unknown_relation_kind": relations("N1,N3,made_of"),
    "alliance_empty_member": {**SHARE_NET, "alliances.csv": "alliance_id,member\nCHIP4,USA\nCHIP4,\n"},
    # --- duplicates ----------------------------------------------------------------
    "duplicate_item_ids": {**SHARE_NET, "items.csv": ITEMS + "N2,Litho again,tool\n"},
    "duplicate_node_ids": nodes("W1,wafer,100,10,,,2", "F1,chip,50,5,40,3.5,4", "W1,wafer,80,0,,,1"),
    "duplicate_provider_ids": {**SHARE_NET, "providers.csv": PROVIDERS + "KOR,Korea,country,\n"},
    "duplicate_share_rows": shares("N1,USA,40,2021", "N1,KOR,35,2021", "N1,USA,41,2021"),
    "duplicate_edges": {**SITE_NET, "edges.csv": "supplier,customer\nW1,F1\nW1,F1\n"},
    # --- unknown ids ---------------------------------------------------------------
    "unknown_share_item": shares("N1,USA,40,2021", "N9,USA,10,2021"),
    "unknown_share_provider": shares("N1,USA,40,2021", "N1,XXX,10,2021"),
    "unknown_edge_supplier": {**SITE_NET, "edges.csv": "supplier,customer\nW1,F1\nW9,F1\n"},
    "unknown_bom_node": {**SITE_NET, "bom.csv": "node_id,input_product,quantity\nF1,wafer,2\nF9,wafer,1\n"},
    "unknown_relation_ids": relations("N1,N3,goes_into", "N1,N7,goes_into", "N8,N3,is_type_of"),
    "unknown_item_stage": {**SHARE_NET, "stages.csv": "stage_id,name\nS1,Design\n",
                           "items.csv": "item_id,name,kind,stage_id\nN1,Silicon wafers,material,S1\nN2,Lithography tools,tool,S9\nN3,Logic chips,chip,\n"},
    "unknown_source_id": {**SHARE_NET, "sources.csv": "source_id,title\nsrc1,A report\n",
                          "shares.csv": "item_id,provider_id,share,year,source_id\nN1,USA,40,2021,src1\nN1,KOR,35,2021,src2\n"},
    "header_only_nodes": {**SITE_NET, "nodes.csv": "node_id,product,capacity\n"},
    # --- cycles --------------------------------------------------------------------
    "cycle_goes_into_2": relations("N1,N3,goes_into", "N3,N1,goes_into"),
    "cycle_goes_into_3": relations("N1,N2,goes_into", "N2,N3,goes_into", "N3,N1,goes_into"),
    "self_loop": relations("N1,N3,goes_into", "N2,N2,goes_into"),
    "cycle_is_type_of": relations("N1,N3,goes_into", "N1,N2,is_type_of", "N2,N1,is_type_of"),
    "cycle_mixed_kinds": relations("N1,N2,goes_into", "N2,N3,goes_into", "N3,N1,is_type_of"),
    # --- manifest and folder -------------------------------------------------------
    "bad_manifest_json": {**SHARE_NET, "manifest.json": '{"format": "allychain-network", "version": 1,\n'},
    "manifest_not_object": {**SHARE_NET, "manifest.json": "[1, 2]\n"},
    "manifest_unknown_table": {**SHARE_NET, "manifest.json": manifest(tables={"items": "items.csv", "widgets": "widgets.csv"})},
    "manifest_wrong_version": {**SHARE_NET, "manifest.json": manifest(version=2)},
    "manifest_wrong_format": {**SHARE_NET, "manifest.json": manifest(format="pypsa-network")},
    "manifest_missing_file": {**SHARE_NET, "manifest.json": manifest(tables={"items": "items.csv", "providers": "providers.csv", "shares": "shares_2021.csv"})},
    "manifest_table_not_text": {**SHARE_NET, "manifest.json": manifest(tables={"items": "items.csv", "providers": 5})},
    "manifest_path_outside": {**SHARE_NET, "manifest.json": manifest(tables={"items": "../share_150/items.csv"})},
    "manifest_io_missing": {**SHARE_NET, "manifest.json": manifest(io={"Z": "io/Z.csv", "Y": "io/Y.csv"})},
    "manifest_io_not_numeric": {**SHARE_NET, "manifest.json": manifest(io={"Z": "io/Z.csv", "Y": "io/Y.csv"}),
                                "io/Z.csv": "region,,KOR,KOR\nsector,,chips,wafers\nregion,sector,,\nKOR,chips,1.0,2\nKOR,wafers,x,4\n",
                                "io/Y.csv": "region,,KOR\ncategory,,household\nregion,sector,\nKOR,chips,5.0\nKOR,wafers,\n"},
    "manifest_no_tables": {**SHARE_NET, "manifest.json": manifest(tables={})},
    "no_tables": {"README.txt": "nothing here\n"},
    "file_not_folder": {"items.csv": ITEMS},
    # --- several problems at once --------------------------------------------------
    "many_problems": {**SHARE_NET,
                      "items.csv": "item_id,name,kind\nN1,Silicon wafers,material\nN2,,widget\n",
                      "shares.csv": "item_id,provider_id,share,year\nN1,USA,150,2021\nN1,KOR,35,abc\nN1,XXX,10,2021\n"},
}


def main() -> None:
    for name, files in CASES.items():
        folder = HERE / name
        if folder.exists():
            shutil.rmtree(folder)
        for fname, content in files.items():
            target = folder / fname
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_bytes(content.encode("utf-8"))
    print(f"{len(CASES)} cases written to {HERE}")


if __name__ == "__main__":
    main()
