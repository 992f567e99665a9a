// The collection page's ingest progress panel: polls the progress API while anything is
// pending (and right after an upload), redraws the stage bars, the rate, the ETA and the
// failures, and sends "Retry failed only" without leaving the page. Without this file the
// panel still shows the figures of the moment, and the retry form posts as a plain form.
"use strict";

(() => {
  const panel = document.getElementById("ingest-progress");
  if (!panel) return;

  const headers = () => {
    const h = { "X-CSRF-Token": document.body.dataset.csrf || "" };
    if (document.body.dataset.workspace) h["X-Workspace"] = document.body.dataset.workspace;
    return h;
  };
  const get = async (url) => {
    const response = await fetch(url, { headers: headers(), credentials: "same-origin" });
    return response.ok ? response.json() : null;
  };

  // The same rows as web/progress.py's stage_rows.
  function stageRows(p) {
    const s = p.stages;
    const rows = {
      text: { of: p.total, ready: s.text.ready, pending: s.text.pending, failed: s.text.failed },
      previews: { of: p.total - s.previews.none - s.previews.blocked, ready: s.previews.ready,
        pending: s.previews.pending, failed: s.previews.failed },
      vectors: { of: p.total - s.vectors.skipped - s.vectors.blocked, ready: s.vectors.ready,
        pending: s.vectors.pending, failed: s.vectors.failed },
    };
    if (s.entities.enabled) {
      rows.entities = { of: s.entities.done + s.entities.pending + s.entities.failed,
        ready: s.entities.done, pending: s.entities.pending, failed: s.entities.failed };
    }
    return rows;
  }

  function duration(seconds) {
    if (seconds < 90) return seconds + " s";
    if (seconds < 5400) return Math.round(seconds / 60) + " min";
    return (seconds / 3600).toFixed(1) + " h";
  }

  function drawProgress(p) {
    panel.hidden = p.total === 0;
    panel.dataset.done = p.done ? "true" : "false";
    panel.querySelector("[data-summary]").textContent = p.total + " documents: " +
      Object.entries(p.states).map(([state, count]) => count + " " + state).join(", ");
    const rows = stageRows(p);
    for (const [stage, row] of Object.entries(rows)) {
      const tr = panel.querySelector('tr[data-stage="' + stage + '"]');
      if (!tr) continue;
      const bar = tr.querySelector("progress");
      bar.max = row.of || 1;
      bar.value = row.ready + row.failed;
      for (const key of ["ready", "pending", "failed"]) {
        const cell = tr.querySelector('[data-count="' + key + '"]');
        cell.textContent = row[key];
        if (key === "failed") cell.className = row.failed ? "error" : "";
      }
    }
    let rate = p.throughput.documents_per_second + " documents/s";
    if (p.eta_seconds !== null) rate += " · about " + duration(p.eta_seconds) + " left";
    else if (p.done) rate += " · done";
    if (p.stages.ocr.needed) rate += " · OCR on " + p.stages.ocr.needed;
    panel.querySelector("[data-rate]").textContent = rate;
  }

  function drawFailures(list) {
    const box = panel.querySelector("[data-failures]");
    box.hidden = list.total === 0;
    panel.querySelector("[data-failure-total]").textContent = "(" + list.total + ")";
    const body = panel.querySelector("[data-failure-rows]");
    body.replaceChildren(...list.items.map((f) => {
      const tr = document.createElement("tr");
      const link = document.createElement("a");
      link.href = "/documents/" + f.document_id;
      link.textContent = f.filename;
      const cells = [link, f.stage, f.message, f.attempts === null ? "" : String(f.attempts)];
      cells.forEach((value, i) => {
        const td = document.createElement("td");
        if (typeof value === "string") td.textContent = value; else td.appendChild(value);
        if (i === 2) td.className = "error";
        tr.appendChild(td);
      });
      return tr;
    }));
  }

  let timer = null;
  let lastFailed = -1;
  async function poll() {
    clearTimeout(timer);
    const p = await get(panel.dataset.progressUrl);
    if (p) {
      drawProgress(p);
      const failed = p.states.failed + p.stages.previews.failed + p.stages.vectors.failed +
        p.stages.entities.failed;
      if (failed !== lastFailed) {
        const list = await get(panel.dataset.failuresUrl);
        if (list) drawFailures(list);
        lastFailed = failed;
      }
      if (!p.done) timer = setTimeout(poll, 1500);
    }
  }

  const form = panel.querySelector("[data-retry-form]");
  if (form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const status = form.querySelector("[data-retry-status]");
      const response = await fetch(panel.dataset.retryUrl, {
        method: "POST", headers: headers(), credentials: "same-origin" });
      const body = await response.json().catch(() => null);
      if (response.ok && body) {
        status.textContent = "Queued again: " + body.text + " to extract, " + body.previews +
          " previews, " + body.vectors + " vectors, " + body.entities + " entities.";
        lastFailed = -1;
        poll();
      } else {
        status.textContent = (body && body.error && body.error.message) || "The retry was refused.";
      }
    });
  }

  // app.js announces each accepted upload: follow it at once.
  document.addEventListener("casework:uploaded", () => { lastFailed = -1; poll(); });
  if (panel.dataset.done !== "true") timer = setTimeout(poll, 1000);
})();
