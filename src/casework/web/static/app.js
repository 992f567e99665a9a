// casework web UI: progressive enhancement only. Every page works without this file;
// with it, uploads show per-file progress and live status, and forms submit themselves.
"use strict";

const csrf = () => document.body.dataset.csrf || "";
const workspace = () => document.body.dataset.workspace || "";

function apiHeaders(extra) {
  const headers = Object.assign({ "X-CSRF-Token": csrf() }, extra || {});
  if (workspace()) headers["X-Workspace"] = workspace();
  return headers;
}

function errorMessage(status, body) {
  if (body && body.error && body.error.message) return body.error.message;
  if (status === 413) return "This file is larger than the upload limit.";
  if (status === 415) return "This file type is not supported.";
  if (status === 429) return "Too many uploads right now; try again in a moment.";
  if (status === 403 || status === 401) return "You do not have permission to upload here.";
  return "The upload failed (HTTP " + status + ").";
}

function setStatus(item, status, detail) {
  const badge = item.querySelector("[data-status]");
  badge.textContent = status;
  badge.className = "status status-" + status;
  const info = item.querySelector("[data-detail]");
  info.textContent = detail || "";
  info.className = status === "failed" || status === "refused" ? "error" : "muted";
}

async function followDocument(item, id) {
  for (let attempt = 0; attempt < 600; attempt++) {
    const response = await fetch("/api/v1/documents/" + id, { headers: apiHeaders(), credentials: "same-origin" });
    if (response.ok) {
      const doc = await response.json();
      setStatus(item, doc.status, doc.status === "failed" ? doc.error : "");
      if (doc.status === "ready" || doc.status === "failed") {
        const link = item.querySelector("a");
        link.href = "/documents/" + id;
        refreshDocuments();
        return;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, attempt < 20 ? 500 : 2000));
  }
}

let refreshTimer = null;

// Re-render the document list from the server once uploads settle, keeping the upload list.
function refreshDocuments() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(async () => {
    const current = document.getElementById("documents");
    if (!current) return;
    const response = await fetch(window.location.href, { credentials: "same-origin" });
    if (!response.ok) return;
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html")
      .getElementById("documents");
    if (fresh) {
      current.replaceWith(fresh);
      enhanceForms(fresh);
    }
  }, 400);
}

function uploadOne(form, file, list) {
  const item = document.createElement("li");
  item.innerHTML = '<a class="name"></a> <progress max="100" value="0"></progress> ' +
    '<span data-status class="status">uploading</span> <span data-detail class="muted"></span>';
  item.querySelector(".name").textContent = file.name;
  list.appendChild(item);
  const max = Number(form.dataset.maxBytes || 0);
  if (max && file.size > max) {
    item.querySelector("progress").remove();
    setStatus(item, "refused", "Too large: the limit is " + Math.round(max / 1048576) + " MB per file.");
    return;
  }
  const data = new FormData();
  data.append("files", file, file.name);
  const xhr = new XMLHttpRequest();
  xhr.open("POST", form.dataset.api);
  const headers = apiHeaders();
  for (const name in headers) xhr.setRequestHeader(name, headers[name]);
  xhr.upload.onprogress = (event) => {
    if (event.lengthComputable) item.querySelector("progress").value = (100 * event.loaded) / event.total;
  };
  xhr.onload = () => {
    item.querySelector("progress").value = 100;
    let body = null;
    try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
    if (xhr.status === 202 && body) {
      const entry = body.documents[0];
      setStatus(item, entry.document.status, entry.duplicate ? "already in this workspace" : "");
      document.dispatchEvent(new CustomEvent("casework:uploaded", { detail: body }));
      followDocument(item, entry.document.id);
    } else {
      setStatus(item, "refused", errorMessage(xhr.status, body));
    }
  };
  xhr.onerror = () => setStatus(item, "refused", "The connection was lost during the upload.");
  xhr.send(data);
}

function enhanceUpload() {
  const form = document.getElementById("upload-form");
  if (!form) return;
  const input = document.getElementById("file-input");
  const list = document.getElementById("upload-list");
  const send = (files) => Array.from(files).forEach((file) => uploadOne(form, file, list));
  input.addEventListener("change", () => { send(input.files); input.value = ""; });
  form.addEventListener("submit", (event) => { event.preventDefault(); send(input.files); });
  ["dragenter", "dragover"].forEach((name) => form.addEventListener(name, (event) => {
    event.preventDefault(); form.classList.add("dragging");
  }));
  ["dragleave", "drop"].forEach((name) => form.addEventListener(name, () => form.classList.remove("dragging")));
  form.addEventListener("drop", (event) => { event.preventDefault(); send(event.dataTransfer.files); });
}

function enhanceStatuses() {
  document.querySelectorAll("tr[data-document]").forEach((row) => {
    const badge = row.querySelector("[data-status]");
    if (!badge || !["queued", "processing"].includes(badge.textContent.trim())) return;
    const poll = async () => {
      const response = await fetch("/api/v1/documents/" + row.dataset.document, { headers: apiHeaders(), credentials: "same-origin" });
      if (!response.ok) return;
      const doc = await response.json();
      badge.textContent = doc.status;
      badge.className = "status status-" + doc.status;
      if (doc.status === "queued" || doc.status === "processing") setTimeout(poll, 1500);
    };
    setTimeout(poll, 1000);
  });
}

// A report being written: when its job ends, the Report section is drawn again from the
// server, with its download links and their SHA-256.
function enhanceReports() {
  document.querySelectorAll("tr[data-report]").forEach((row) => {
    if (!["queued", "running"].includes(row.dataset.reportStatus)) return;
    const poll = async () => {
      const response = await fetch("/api/v1/reports/" + row.dataset.report, { headers: apiHeaders(), credentials: "same-origin" });
      if (response.ok) {
        const report = await response.json();
        if (report.status === "ready" || report.status === "failed") {
          refreshSection("reports");
          return;
        }
      }
      setTimeout(poll, 1000);
    };
    setTimeout(poll, 700);
  });
}

async function refreshSection(id) {
  const current = document.getElementById(id);
  if (!current) return;
  const response = await fetch(window.location.href, { credentials: "same-origin" });
  if (!response.ok) return;
  const fresh = new DOMParser().parseFromString(await response.text(), "text/html").getElementById(id);
  if (fresh) {
    current.replaceWith(fresh);
    enhanceForms(fresh);
  }
}

function enhanceForms(root) {
  const scope = root || document;
  scope.querySelectorAll("[data-autosubmit]").forEach((select) =>
    select.addEventListener("change", () => select.form.submit()));
  scope.querySelectorAll("form[data-confirm]").forEach((form) =>
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    }));
}

function enhancePreview() {
  const body = document.getElementById("note-body");
  const preview = document.getElementById("note-preview");
  if (!body || !preview) return;
  let timer = null;
  body.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const response = await fetch(preview.dataset.previewUrl, {
        method: "POST", credentials: "same-origin",
        headers: apiHeaders({ "Content-Type": "application/x-www-form-urlencoded" }),
        body: new URLSearchParams({ body: body.value, csrf_token: csrf() }),
      });
      if (response.ok) preview.innerHTML = await response.text();
    }, 300);
  });
}

// Ask: with a generator configured, the answer is streamed (server-sent events from
// POST /api/v1/ask/stream) into the page as it is written, then its checked citations.
function citationHref(c) {
  if (!c.document_id) return "/notes/" + c.note_id;
  return "/documents/" + c.document_id + "?page=" + c.page + "&start=" + c.start +
    "&end=" + c.end + "#passage";
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function renderAnswer(box, answer) {
  box.replaceChildren();
  answer.warnings.forEach((w) => box.append(element("p", "flash", w)));
  if (!answer.found) {
    box.append(element("div", "empty", "Not found in the material."));
  } else {
    const text = element("p", "answer-text");
    answer.claims.forEach((claim) => {
      const span = element("span", claim.supported ? "claim" : "claim unsupported", claim.text);
      text.append(span);
      claim.citations.forEach((i) => {
        const link = element("a", "cite", "[" + (i + 1) + "]");
        link.href = citationHref(answer.citations[i]);
        text.append(link);
      });
      text.append(" ");
    });
    box.append(text);
    const list = element("ol", "citations");
    answer.citations.forEach((c) => {
      const item = element("li");
      const link = element("a");
      link.href = citationHref(c);
      link.append(element("strong", "", c.title));
      item.append(link, " ", element("span", "muted", c.document_id ? "page " + c.page : "note"),
                  element("p", "snippet", "\u201c" + c.text + "\u201d"));
      list.append(item);
    });
    box.append(list);
  }
  box.append(element("p", "muted", answer.mode + " answer \u00b7 confidence " +
    answer.confidence.toFixed(2) + " \u00b7 " + answer.took_ms + " ms"));
}

async function streamAnswer(form, box) {
  const data = new FormData(form);
  const body = { question: data.get("q") };
  if (data.get("collection_id")) body.collection_id = data.get("collection_id");
  box.hidden = false;
  box.replaceChildren(element("p", "answer-text streaming"));
  const live = box.firstChild;
  const response = await fetch("/api/v1/ask/stream", {
    method: "POST", credentials: "same-origin",
    headers: apiHeaders({ "Content-Type": "application/json", Accept: "text/event-stream" }),
    body: JSON.stringify(body),
  });
  if (!response.ok) {
    let message = "The question could not be answered (HTTP " + response.status + ").";
    try { message = (await response.json()).error.message; } catch (e) { /* not JSON */ }
    box.replaceChildren(element("p", "error", message));
    return;
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffered += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffered.indexOf("\n\n")) !== -1) {
      const block = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      const name = (block.match(/^event: (.*)$/m) || [])[1];
      const payload = JSON.parse((block.match(/^data: (.*)$/m) || [])[1] || "null");
      if (name === "token") live.textContent += payload.text;
      else if (name === "answer") renderAnswer(box, payload);
      else if (name === "error") box.replaceChildren(element("p", "error", payload.error.message));
    }
  }
}

function enhanceAsk() {
  const box = document.getElementById("answer");
  const form = document.querySelector("form[data-ask][data-stream]");
  if (!box || !form) return;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const url = new URL(form.action, window.location.href);
    url.search = new URLSearchParams(new FormData(form)).toString();
    window.history.replaceState(null, "", url);  // the address still names the question
    streamAnswer(form, box).catch(() =>
      box.replaceChildren(element("p", "error", "The answer was interrupted.")));
  });
}

// Share dialog: with script the link is made through the API and shown in the dialog,
// once, with a Copy button; without, the form posts to /shares, which shows it there.
function enhanceShare() {
  document.querySelectorAll("form[data-share]").forEach((form) => {
    const panel = form.parentElement;
    const result = panel.querySelector("[data-share-result]");
    const input = result.querySelector("[data-share-url]");
    const error = form.querySelector("[data-share-error]");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.hidden = true;
      const data = new FormData(form);
      const body = {
        target_type: data.get("target_type"), target_id: data.get("target_id"),
        expires_in: Number(data.get("expires_in")),
        allow_download: data.get("allow_download") === "true",
      };
      if (data.get("password")) body.password = data.get("password");
      const response = await fetch("/api/v1/shares", {
        method: "POST", credentials: "same-origin",
        headers: apiHeaders({ "Content-Type": "application/json" }), body: JSON.stringify(body),
      });
      let answer = null;
      try { answer = await response.json(); } catch (e) { answer = null; }
      if (response.status !== 201 || !answer) {
        error.textContent = (answer && answer.error && answer.error.message) ||
          "The link could not be made (HTTP " + response.status + ").";
        error.hidden = false;
        return;
      }
      form.hidden = true;
      result.hidden = false;
      input.value = answer.url;
      input.select();
    });
    result.querySelector("[data-share-copy]").addEventListener("click", async () => {
      input.select();
      let copied = false;
      try { await navigator.clipboard.writeText(input.value); copied = true; } catch (e) { copied = false; }
      result.querySelector("[data-share-copied]").textContent =
        copied ? "Copied." : "Select the link and copy it (Ctrl+C).";
    });
  });
}

// Export page: follow the build's progress; once it has finished, reload for the link.
function formatBytes(size) {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = size;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
  return unit === 0 ? value + " B" : value.toFixed(1) + " " + units[unit];
}

function enhanceExport() {
  const box = document.getElementById("export");
  if (!box || !["queued", "running"].includes(box.dataset.status)) return;
  const bar = document.getElementById("export-progress");
  const counts = document.getElementById("export-counts");
  const badge = box.querySelector("[data-export-status]");
  const poll = async () => {
    const response = await fetch("/api/v1/exports/" + box.dataset.export,
                                 { headers: apiHeaders(), credentials: "same-origin" });
    if (response.ok) {
      const exp = await response.json();
      const p = exp.progress;
      bar.value = p.fraction;
      counts.textContent = p.files_done + " of " + p.files_total + " files \u00b7 " +
        formatBytes(p.bytes_done) + " of " + formatBytes(p.bytes_total);
      badge.textContent = exp.status;
      if (exp.status === "succeeded" || exp.status === "failed") {
        window.location.reload();
        return;
      }
    }
    setTimeout(poll, 700);
  };
  setTimeout(poll, 300);
}

// Gallery: "Select" shows a checkbox on each picture; the form posts the chosen ones.
function enhanceGallerySelection() {
  const form = document.getElementById("gallery-form");
  if (!form) return;
  form.classList.add("selectable");
  const toggle = document.getElementById("gallery-select");
  const count = document.getElementById("gallery-count");
  const update = () => {
    const n = form.querySelectorAll("input[name=document_ids]:checked").length;
    count.textContent = n + " selected";
    form.querySelector("button[type=submit]").disabled = n === 0;
  };
  toggle.hidden = false;
  toggle.addEventListener("click", () => {
    const on = form.classList.toggle("selecting");
    toggle.textContent = on ? "Cancel selection" : "Select";
    toggle.setAttribute("aria-pressed", on ? "true" : "false");
  });
  form.addEventListener("change", update);
  // While selecting, a click on a picture picks it instead of opening it.
  form.addEventListener("click", (event) => {
    const link = event.target.closest(".gallery a");
    if (!link || !form.classList.contains("selecting")) return;
    event.preventDefault();
    const box = link.parentElement.querySelector("input[name=document_ids]");
    box.checked = !box.checked;
    update();
  });
  update();
}

document.addEventListener("DOMContentLoaded", () => {
  enhanceForms();
  enhanceUpload();
  enhanceStatuses();
  enhanceReports();
  enhancePreview();
  enhanceAsk();
  enhanceShare();
  enhanceExport();
  enhanceGallerySelection();
});
