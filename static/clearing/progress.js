// The period page while a clearing batch runs: ask the progress API every second, move the bar,
// and reload the page (which then shows the result) when the run is done or failed.
"use strict";

(() => {
  const box = document.getElementById("progress");
  if (!box || !box.dataset.url) return;
  const time = (text) => Date.parse(text || "") || 0;
  const queued = time(box.dataset.queued);
  const shownStart = time(box.dataset.started);
  // Poll while the shown run is running, or while a queued run has not reported yet.
  const waiting = box.dataset.state === "running" || (queued && shownStart < queued);
  if (!waiting) return;

  const STATES = new Set(["running", "done", "failed"]);
  const shownRunning = box.dataset.state === "running";
  let failures = 0;

  const entryOf = (body) => (body && typeof body === "object" && "progress" in body ? body.progress : body);
  // An entry about the run this page waits for (not the one before a queued rerun).
  const relevant = (entry) => entry && STATES.has(entry.state) && (!queued || time(entry.started_at) >= queued);
  // "idle": no run in the last hour. The run shown as running has gone: show the period as it is.
  const vanished = (entry) => shownRunning && entry && entry.state === "idle";

  const show = (entry) => {
    const bar = document.getElementById("progress-bar");
    const step = document.getElementById("progress-step");
    const stage = document.getElementById("progress-stage");
    if (bar && Number.isFinite(entry.steps)) {
      bar.max = entry.steps;
      bar.value = entry.step || 0;
    }
    if (step) step.textContent = `${entry.step || 0}/${entry.steps}`;
    if (stage && entry.stage) stage.textContent = entry.stage;
  };

  const poll = async () => {
    let entry = null;
    try {
      const response = await fetch(box.dataset.url, {
        credentials: "same-origin",
        cache: "no-store",
        headers: { Accept: "application/json" },
      });
      if (response.ok) entry = entryOf(await response.json());
      failures = response.ok ? 0 : failures + 1;
    } catch (error) {
      failures += 1; // the network or the server hiccuped: try again
    }
    if (vanished(entry) || (relevant(entry) && (entry.state !== "running" || !shownRunning))) {
      window.location.reload(); // finished (or started, when only queued was shown): the page shows it
      return;
    }
    if (relevant(entry)) show(entry);
    setTimeout(poll, failures > 10 ? 5000 : 1000);
  };
  setTimeout(poll, 1000);
})();
