// Node's `ws` client against a wscore echo server.
//
// Usage: node node_client.mjs ws://127.0.0.1:PORT/
// Exchanges text, binary, a 1 MiB message, a ping and a clean close,
// compressed with permessage-deflate; exits non-zero with the reason on any
// difference.
import WebSocket from "ws";

const url = process.argv[2];
const big = Buffer.alloc(1 << 20, 7);
const messages = [
  ["text", "hello from node"],
  ["text", "κόσμε 🌍"],
  ["binary", Buffer.from([0, 1, 255])],
  ["binary", big],
];
const fail = (why) => {
  console.error(`node client: ${why}`);
  process.exit(1);
};
setTimeout(() => fail("timed out"), 20000).unref();

const ws = new WebSocket(url);
let next = 0;
const sendNext = () => {
  const [kind, data] = messages[next];
  ws.send(data, { binary: kind === "binary" });
};
ws.on("open", () => {
  if (!ws.extensions.startsWith("permessage-deflate")) fail(`permessage-deflate not agreed: "${ws.extensions}"`);
  sendNext();
});
ws.on("message", (data, isBinary) => {
  const [kind, sent] = messages[next];
  const same = kind === "binary" ? isBinary && Buffer.compare(data, sent) === 0 : !isBinary && data.toString() === sent;
  if (!same) fail(`echo differs for message ${next}`);
  next += 1;
  if (next < messages.length) sendNext();
  else ws.ping(Buffer.from("node ping"));
});
ws.on("pong", (data) => {
  if (data.toString() !== "node ping") fail("pong payload differs");
  ws.close(1000, "done");
});
ws.on("close", (code) => {
  if (code !== 1000) fail(`closed with ${code}, expected 1000`);
  console.log(`node ws client: ok over ${url.split(":")[0]}:// (${ws.extensions})`);
  process.exit(0);
});
ws.on("error", (error) => fail(error.message));
