// A stand-in for a model behind an OpenAI-compatible API, for the offline demo: it answers each
// prompt with a patch in the reference's <patch> tags, chosen by what the issue asks, and prints
// its port on the first line. One answer is right, one has stale context (GNU patch fuzzes it in),
// one is cut off mid-hunk, as real model answers are.
import http from "node:http";

const answers = [
  ["add() subtracts", "--- a/calc/ops.py\n+++ b/calc/ops.py\n@@ -1,3 +1,3 @@\n def add(a, b):\n-    return a - b\n+    return a + b\n \n"],
  ["Typo in greeting", "--- a/greet/hello.py\n+++ b/greet/hello.py\n@@ -1,3 +1,3 @@\n def greet(name):\n-    return \"Helo, \" + name\n+    return \"Hello, \" + name\n # end of greet\n"],
  ["mean() is off by one", "--- a/stats/mean.py\n+++ b/stats/mean.py\n@@ -1,2 +1,2 @@\n def mean(xs):\n-    return sum(xs) / (len(xs) + 1)\n"],
];
const server = http.createServer((req, res) => {
  let body = "";
  req.on("data", (c) => (body += c));
  req.on("end", () => {
    const request = JSON.parse(body || "{}");
    const prompt = (request.messages || []).map((m) => m.content).join("\n");
    const hit = answers.find(([needle]) => prompt.includes(needle));
    const content = hit ? "I will fix this.\n<patch>\n" + hit[1] + "</patch>" : "I do not know.";
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({
      id: "mock", object: "chat.completion", model: request.model,
      choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
      usage: { prompt_tokens: Math.ceil(prompt.length / 4), completion_tokens: Math.ceil(content.length / 4), total_tokens: 0 },
    }));
  });
});
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
setTimeout(() => process.exit(0), 120000).unref();
