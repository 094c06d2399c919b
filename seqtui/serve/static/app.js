// The page of `seqtui serve`: reads the directions from /languages, streams /translate's Server-Sent
// Events and shades each character by the probability the model gave it.
"use strict";
const $ = (id) => document.getElementById(id);

async function directions() {
  const langs = await (await fetch("/languages")).json();
  for (const lang of langs) {
    for (const target of lang.targets) {
      const option = new Option(`${lang.code} → ${target}`, `${lang.code}:${target}`);
      $("direction").add(option);
    }
  }
}

function shade(text, prob) {
  const span = document.createElement("span");
  span.textContent = text;
  if (prob !== null) {
    span.style.opacity = String(0.25 + 0.75 * prob);
    span.title = `${(100 * prob).toFixed(1)}%`;
  }
  return span;
}

function show(event, data) {
  if (event === "result") {
    for (const alt of data.alternatives || []) {
      const li = document.createElement("li");
      li.textContent = alt;
      $("alts").append(li);
    }
  } else if (event === "error") {
    $("error").textContent = data.error;
  } else {
    $("out").append(shade(data.text, data.prob));
  }
}

async function translate(e) {
  e.preventDefault();
  const [source, target] = $("direction").value.split(":");
  $("out").textContent = $("error").textContent = "";
  $("alts").replaceChildren();
  const body = { q: $("q").value, source, target, stream: true,
                 alternatives: Number($("alternatives").value) || 0 };
  const resp = await fetch("/translate", { method: "POST", headers: { "Content-Type": "application/json" },
                                           body: JSON.stringify(body) });
  if (!resp.ok) {
    $("error").textContent = (await resp.json()).error;
    return;
  }
  const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = (block.match(/^event: (.*)$/m) || [])[1] || "message";
      const data = (block.match(/^data: (.*)$/m) || [])[1];
      if (data) show(event, JSON.parse(data));
    }
  }
}

$("form").addEventListener("submit", translate);
directions();
