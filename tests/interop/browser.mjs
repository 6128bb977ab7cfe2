// Headless Chromium loads the echo server's page with #selftest and waits
// for the page to report that text, binary and 1 MiB messages came back and
// the connection closed cleanly, with permessage-deflate agreed (Chromium
// offers it on every connection).
//
// Over https:// (a certificate from the test's own CA, which the browser
// is told to accept) the page must have opened its WebSocket with wss://.
//
// Usage: node browser.mjs http[s]://127.0.0.1:PORT/
import { chromium } from "playwright-core";

const url = process.argv[2];
const secure = url.startsWith("https:");
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ...(secure ? ["--ignore-certificate-errors"] : [])],
});
try {
  const page = await browser.newPage();
  await page.goto(url + "#selftest");
  const log = page.locator("#log");
  await log.getByText(/selftest: (ok|failed)/).waitFor({ timeout: 20000 });
  const text = await log.innerText();
  if (!text.includes("selftest: ok")) {
    console.error("chromium: " + text.split("\n").filter((l) => l.includes("selftest")).join("; "));
    process.exit(1);
  }
  const line = text.split("\n").find((l) => l.includes("selftest: ok"));
  if (!line.includes("permessage-deflate")) {
    console.error("chromium: permessage-deflate was not agreed: " + line);
    process.exit(1);
  }
  const connected = text.split("\n").find((l) => l.startsWith("connected to")) || "";
  if (secure && !connected.startsWith("connected to wss://")) {
    console.error("chromium: the https page did not open its WebSocket with wss://: " + connected);
    process.exit(1);
  }
  console.log("headless chromium page: " + line + (secure ? " over " + connected.split(" ")[2] : ""));
  if (secure) process.exit(0);

  // Cross-site WebSocket hijacking: the same page served from another
  // origin (http://localhost:PORT rather than http://127.0.0.1:PORT) may not
  // open a WebSocket to this server, but may open one to its own host.
  const foreign = new URL(url);
  foreign.hostname = "localhost";
  await page.goto(foreign.href);
  const attempt = (target) =>
    page.evaluate(
      (target) =>
        new Promise((resolve) => {
          const ws = new WebSocket(target);
          ws.onopen = () => {
            ws.close();
            resolve("open");
          };
          ws.onclose = (event) => resolve("closed " + event.code);
        }),
      target,
    );
  const crossSite = await attempt(url.replace(/^http/, "ws"));
  const sameSite = await attempt(foreign.href.replace(/^http/, "ws"));
  if (crossSite !== "closed 1006" || sameSite !== "open") {
    console.error(`chromium: cross-origin ${crossSite}, same-origin ${sameSite}`);
    process.exit(1);
  }
  console.log(`headless chromium from ${foreign.origin}: refused by ${url} (${crossSite}), accepted by its own host`);
} finally {
  await browser.close();
}
