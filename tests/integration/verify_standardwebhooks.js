// Verifies Standard Webhooks signatures with the reference JavaScript library (npm
// "standardwebhooks"), as a receiver of closebridge's callbacks would.
// Input on stdin: one JSON object per line, {"secret", "headers", "body"}.
// Output: one line per input, "ok" or "fail: <reason>".
const { Webhook } = require("standardwebhooks");
const readline = require("readline");

const rl = readline.createInterface({ input: process.stdin });
rl.on("line", (line) => {
  const { secret, headers, body } = JSON.parse(line);
  try {
    new Webhook(secret).verify(body, headers);
    console.log("ok");
  } catch (e) {
    console.log("fail: " + e.message);
  }
});
