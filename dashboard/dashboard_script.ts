/**
 * The dashboard page's script: it follows the server's event stream and, for each new version,
 * fetches the report's content and puts it in place of the old one, keeping the scroll position.
 * Only one fetch runs at a time; versions that arrive meanwhile fold into the next fetch. A `tick`
 * (no new event, but running tasks have grown with time) fetches the view again too. Text
 * from the run reaches the page only through the server's escaped HTML.
 */
export const DASHBOARD_JS = `
(() => {
  "use strict";
  const token = new URLSearchParams(location.search).get("token") || "";
  const q = "token=" + encodeURIComponent(token);
  const status = document.getElementById("live-status");
  const report = document.getElementById("report");
  let shown = Number(report.dataset.version);
  let wanted = shown;
  let stale = false; // time alone moved the view on (a tick): fetch it though no event came
  let fetching = false;
  let finished = false;
  async function refresh() {
    if (fetching || (wanted <= shown && !stale)) return;
    fetching = true;
    stale = false;
    try {
      const res = await fetch("view?" + q, { cache: "no-store" });
      if (!res.ok) throw new Error("view: HTTP " + res.status);
      const version = Number(res.headers.get("x-asyncflow-version"));
      report.innerHTML = await res.text();
      shown = version;
      report.dataset.version = String(version);
      document.dispatchEvent(new Event("asyncflow:update"));
      status.textContent = finished && shown >= wanted ? "finished" : "live";
      status.dataset.state = status.textContent;
    } catch (error) {
      status.textContent = "disconnected: " + error.message;
      status.dataset.state = "disconnected";
    } finally {
      fetching = false;
    }
    if (wanted > shown || stale) void refresh();
  }
  const events = new EventSource("events?" + q);
  events.addEventListener("update", (e) => {
    const [version, end] = e.data.split(" ");
    wanted = Math.max(wanted, Number(version));
    if (end === "end") {
      finished = true;
      events.close();
      if (wanted <= shown) { status.textContent = "finished"; status.dataset.state = "finished"; }
    }
    void refresh();
  });
  events.addEventListener("tick", () => {
    if (finished) return;
    stale = true;
    void refresh();
  });
  events.addEventListener("error", () => {
    if (finished) return;
    status.textContent = "reconnecting";
    status.dataset.state = "reconnecting";
  });
})();
`;
