// casework redaction mode on a PDF's document page: drag on a page picture to add a box
// with the chosen reason; find e-mail addresses, phone numbers or names and accept the
// proposals. Boxes are fractions of the page, origin top left (the API's frame). Loaded
// after app.js (apiHeaders). Listing, deleting and producing the copy work without it.
"use strict";

(function () {
  const section = document.getElementById("redaction");
  const tools = section && section.querySelector(".redaction-tools");
  if (!tools) return;
  tools.hidden = false;
  const api = "/api/v1/documents/" + section.dataset.document + "/redactions";
  const reason = () => document.getElementById("redaction-reason").value;
  const drawButton = document.getElementById("redaction-draw");
  const frames = Array.from(document.querySelectorAll(".page-frame"));
  const proposals = document.getElementById("redaction-proposals");
  let drawing = false;

  function place(box, [x0, y0, x1, y1]) {
    Object.assign(box.style, { left: x0 * 100 + "%", top: y0 * 100 + "%",
      width: (x1 - x0) * 100 + "%", height: (y1 - y0) * 100 + "%" });
  }

  function overlay(frame, region, className) {
    const box = document.createElement("div");
    box.className = "redaction-box " + className;
    place(box, region);
    frame.appendChild(box);
    return box;
  }

  async function save(items) {
    const response = await fetch(api, { method: "POST", credentials: "same-origin",
      headers: apiHeaders({ "Content-Type": "application/json" }),
      body: JSON.stringify({ redactions: items }) });
    if (!response.ok) {
      const body = await response.json().catch(() => null);
      proposals.textContent = (body && body.error && body.error.message) || "Saving failed.";
      return false;
    }
    window.location.hash = "redaction";
    window.location.reload();
    return true;
  }

  drawButton.addEventListener("click", () => {
    drawing = !drawing;
    drawButton.setAttribute("aria-pressed", String(drawing));
    document.getElementById("redaction-hint").hidden = !drawing;
    frames.forEach((frame) => frame.classList.toggle("drawing", drawing));
  });

  frames.forEach((frame) => {
    let start = null;
    let box = null;
    const at = (event) => {
      const rect = frame.getBoundingClientRect();
      const clamp = (v) => Math.min(1, Math.max(0, v));
      return [clamp((event.clientX - rect.left) / rect.width),
        clamp((event.clientY - rect.top) / rect.height)];
    };
    const region = (end) => [Math.min(start[0], end[0]), Math.min(start[1], end[1]),
      Math.max(start[0], end[0]), Math.max(start[1], end[1])];
    frame.addEventListener("pointerdown", (event) => {
      if (!drawing) return;
      event.preventDefault();
      frame.setPointerCapture(event.pointerId);
      start = at(event);
      box = overlay(frame, region(start), "pending");
    });
    frame.addEventListener("pointermove", (event) => {
      if (start) place(box, region(at(event)));
    });
    frame.addEventListener("pointerup", (event) => {
      if (!start) return;
      const [x0, y0, x1, y1] = region(at(event));
      start = null;
      if (x1 - x0 < 0.005 || y1 - y0 < 0.005) { box.remove(); return; }
      save([{ page: Number(frame.dataset.page), x0, y0, x1, y1, reason: reason() }])
        .then((ok) => { if (!ok) box.remove(); });
    });
  });

  document.getElementById("redaction-search").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const body = { presets: Array.from(form.querySelectorAll("input[name=presets]:checked"),
      (input) => input.value),
    terms: form.terms.value.split("\n").map((t) => t.trim()).filter(Boolean) };
    proposals.textContent = "Searching…";
    document.querySelectorAll(".redaction-box.proposed").forEach((b) => b.remove());
    const response = await fetch(api + "/search", { method: "POST", credentials: "same-origin",
      headers: apiHeaders({ "Content-Type": "application/json" }), body: JSON.stringify(body) });
    const found = await response.json().catch(() => null);
    if (!response.ok) {
      proposals.textContent = (found && found.error && found.error.message) || "Search failed.";
      return;
    }
    showProposals(found.hits);
  });

  function showProposals(hits) {
    proposals.textContent = "";
    if (!hits.length) { proposals.textContent = "Nothing found."; return; }
    const list = document.createElement("ul");
    hits.forEach((hit, index) => {
      const item = document.createElement("li");
      const label = document.createElement("label");
      const check = document.createElement("input");
      check.type = "checkbox";
      check.checked = true;
      check.dataset.index = String(index);
      label.append(check, " page " + hit.page + ": " + hit.text + " (" + hit.label + ")");
      item.appendChild(label);
      list.appendChild(item);
      const frame = frames.find((f) => Number(f.dataset.page) === hit.page);
      if (frame) hit.boxes.forEach((b) => overlay(frame, b, "proposed"));
    });
    const accept = document.createElement("button");
    accept.type = "button";
    accept.textContent = "Accept selected";
    accept.addEventListener("click", () => {
      const items = [];
      list.querySelectorAll("input:checked").forEach((check) => {
        const hit = hits[Number(check.dataset.index)];
        hit.boxes.forEach(([x0, y0, x1, y1]) => items.push({ page: hit.page, x0, y0, x1, y1,
          reason: reason(), source: "search", found_by: hit.label }));
      });
      if (items.length) save(items);
    });
    proposals.append(list, accept);
  }
})();
