// The Essence rig's operator console: draws what the WebSocket says, sends commands.
// No build step, no library, nothing fetched from elsewhere (docs/console.md).
"use strict";

const $ = (id) => document.getElementById(id);
const WAITS = [["pre_wait", "pre-wait"], ["transition", "transition"],
               ["post_wait", "post-wait"], ["follow", "follow"]];
const NEXT_WORDS = {none: "", auto_continue: "auto-continue", auto_follow: "auto-follow"};
const PLOT = [["faces", "#7fc8ff"], ["valence", "#8ef08e"], ["arousal", "#ffb454"],
              ["chaos", "#ff6b8b"]];

let ws = null;
let retry = 500;
let state = null;
let stateAt = 0;
let hello = null;
let acts = [];        // the cue list, as the last "cues" message gave it
let passcode = null;  // the code entered on this page: in memory only, sent again on hello
let history = [];
let historyEvery = 0.5;

function fmt(x, digits = 2) {
  return x === null || x === undefined || Number.isNaN(x) ? "–" : Number(x).toFixed(digits);
}

function seconds(x) {
  if (x === null || x === undefined) return "";
  return x >= 60 ? `${Math.floor(x / 60)}:${String(Math.floor(x % 60)).padStart(2, "0")}`
                 : `${x.toFixed(1)}s`;
}

function send(command) {
  if (ws && ws.readyState === WebSocket.OPEN) {
    ws.send(JSON.stringify(command));
  } else {
    showReply({status: "error", data: "not connected", address: command.op});
  }
}

function connect() {
  const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`;
  ws = new WebSocket(url);
  ws.onopen = () => { retry = 500; setLink(true, "live"); };
  ws.onmessage = (event) => {
    let message = null;
    try { message = JSON.parse(event.data); } catch (err) { return; }  // never stop reading
    receive(message);
  };
  ws.onclose = (event) => {
    setLink(false, event.reason ? `offline: ${event.reason}` : "offline");
    ws = null;
    setTimeout(connect, retry);
    retry = Math.min(retry * 2, 5000);
  };
}

function setLink(up, text) {
  const link = $("link");
  link.textContent = text;
  link.classList.toggle("bad", !up);
  document.body.classList.toggle("offline", !up);
}

function receive(message) {
  switch (message.type) {
    case "hello": onHello(message); break;
    case "cues": onCues(message); break;
    case "state": onState(message); break;
    case "history": onHistory(message); break;
    case "picture": onPicture(message); break;
    case "reply": showReply(message); break;
  }
}

function onHello(message) {
  hello = message;
  $("passcode-form").hidden = !message.needs_passcode;
  if (message.needs_passcode && passcode !== null) send({op: "connect", code: passcode});
  let camera = $("camera");
  if (message.camera && !camera) {
    camera = document.createElement("img");
    camera.id = "camera";
    camera.alt = "the camera with face boxes";
    camera.width = 240;
    camera.height = 135;
    $("pictures").appendChild(camera);
  } else if (!message.camera && camera) {
    camera.remove();
  }
}

function onPicture(message) {
  const target = message.kind === "stage" ? $("stage-thumb")
                : message.kind === "camera" ? $("camera") : null;
  if (target) target.src = `data:image/jpeg;base64,${message.jpeg}`;
}

function onHistory(message) {
  if (message.samples) history = message.samples;
  if (message.every) historyEvery = message.every;
  if (message.append) history = history.concat(message.append);
  const keep = Math.round(300 / historyEvery);
  if (history.length > keep) history = history.slice(history.length - keep);
  drawPlot();
}

function onState(message) {
  state = message;
  stateAt = performance.now();
  document.body.classList.toggle("show-mode", message.show_mode);
  $("title").textContent = message.title || "Essence rig";
  $("phase").textContent = message.phase;
  $("mode").textContent = message.show_mode ? "SHOW MODE" : "rehearsal";
  $("mode").classList.toggle("warn", message.show_mode);
  const flags = [];
  if (message.blackout) flags.push("BLACKOUT");
  if (message.paused) flags.push("PAUSED");
  if (message.recording) flags.push("REC");
  if (message.chaos_mode) flags.push("chaos mode");
  $("flags").textContent = flags.join("  ");
  $("standby-id").textContent = message.standby.id ?? "–";
  $("standby-name").textContent = message.standby.name || (message.standby.id ? "" : "end");
  $("running-id").textContent = message.running.id ?? "–";
  $("running-name").textContent = message.running.name;
  $("pause").textContent = message.paused ? "Resume" : "Pause";
  $("pause").classList.toggle("on", message.paused);
  $("blackout").classList.toggle("on", message.blackout);
  $("showmode").classList.toggle("on", message.show_mode);
  $("refusal").textContent = message.last_refusal ? `show refused: ${message.last_refusal}` : "";
  drawCondition(message.condition);
  drawRoom(message.room);
  drawHealth(message.health);
  drawInputs(message.inputs);
  showVisual();
  tickWaits();
}

function onCues(message) {
  acts = message.acts || [];
  drawCues();
  showVisual();
}

function showVisual() {
  const shown = acts.flatMap((a) => a.cues).find((c) => c.running);
  $("inputs-visual").textContent = shown ? shown.visual : "";
}

function waitLeft(value) {
  if (value === null || value === undefined) return null;
  const elapsed = state.paused ? 0 : (performance.now() - stateAt) / 1000;
  return Math.max(0, value - elapsed);
}

function tickWaits() {
  if (!state) return;
  const parts = [];
  for (const [key, word] of WAITS) {
    const left = waitLeft(state.waits[key]);
    if (left !== null) parts.push(`<span class="wait"><span class="caption">${word}</span> ` +
                                  `<b id="wait-${key}">${seconds(left)}</b></span>`);
  }
  const cond = state.condition;
  if (cond && cond.left !== null && cond.left !== undefined) {
    parts.push(`<span class="wait"><span class="caption">condition holds</span> ` +
               `<b id="wait-condition">${seconds(waitLeft(cond.left))}</b></span>`);
  }
  $("waits").innerHTML = parts.join("");
}

function drawCues() {  // only when a "cues" message came: the list changed
  const list = $("cue-list");
  list.textContent = "";
  for (const act of acts) {
    const section = document.createElement("section");
    section.className = "act";
    const title = document.createElement("h3");
    title.textContent = `Act ${act.number}${act.name ? " — " + act.name : ""}`;
    section.appendChild(title);
    for (const cue of act.cues) section.appendChild(cueRow(cue));
    list.appendChild(section);
  }
  const here = list.querySelector(".playhead");
  if (here && here.scrollIntoView) here.scrollIntoView({block: "nearest"});
}

function cueRow(cue) {
  const row = document.createElement("div");
  row.className = "cue" + (cue.playhead ? " playhead" : "") + (cue.running ? " running" : "");
  row.dataset.cueId = cue.id;
  const waits = [];
  if (cue.pre_wait) waits.push(`pre ${cue.pre_wait}s`);
  waits.push(`fade ${cue.transition}s`);
  if (cue.post_wait) waits.push(`post ${cue.post_wait}s`);
  const next = NEXT_WORDS[cue.next] ?? cue.next;
  row.innerHTML = `<span class="cue-id"></span><span class="cue-name"></span>` +
    `<span class="cue-waits"></span>` +
    `<span class="cue-condition"></span>` +
    `<button class="btn small editing jump" type="button" title="jump here">jump</button>`;
  row.querySelector(".cue-id").textContent = cue.id;
  row.querySelector(".cue-name").textContent = cue.name;
  row.querySelector(".cue-waits").textContent = waits.concat(next ? [next] : []).join(" · ");
  row.querySelector(".cue-condition").textContent = cue.condition ? `when ${cue.condition}` : "";
  row.querySelector(".jump").onclick = () => send({op: "goto", cue: cue.id});
  return row;
}

function drawCondition(cond) {
  const box = $("condition");
  box.hidden = !cond;
  $("hold").classList.toggle("on", Boolean(cond && cond.held));
  if (!cond) return;
  $("condition-text").textContent = cond.text;
  $("condition-held").hidden = !cond.held;
  const close = cond.closeness ?? 0;
  $("condition-bar").style.width = `${Math.round(close * 100)}%`;
  $("condition-bar").classList.toggle("met", Boolean(cond.met));
  $("condition-numbers").textContent =
    `room ${fmt(cond.value)} / needs ${fmt(cond.threshold)}` + (cond.met ? " — met" : "");
}

function drawRoom(room) {
  $("faces").textContent = room.faces;
  $("valence").textContent = fmt(room.valence);
  $("arousal").textContent = fmt(room.arousal);
  $("chaos").textContent = fmt(room.chaos);
  const box = $("emotions");  // built, not innerHTML: the page's CSP allows no inline style
  box.textContent = "";
  for (const e of room.emotions) {
    const share = Math.round((e.share ?? 0) * 100);
    const row = document.createElement("div");
    row.className = "emotion";
    const name = document.createElement("span");
    name.textContent = e.name;
    const meter = document.createElement("div");
    meter.className = "meter";
    const bar = document.createElement("div");
    bar.style.width = `${share}%`;
    meter.appendChild(bar);
    const value = document.createElement("span");
    value.textContent = `${share}%`;
    row.append(name, meter, value);
    box.appendChild(row);
  }
}

function drawHealth(h) {
  const rows = [["health", h.health], ["input", h.input], ["perception", `${fmt(h.perception_fps, 1)} fps`],
                ["latency", h.latency_ms === null ? "–" : `${fmt(h.latency_ms, 0)} ms`],
                ["presented", h.presented_ms === null ? "–" : `${fmt(h.presented_ms, 0)} ms`],
                ["sound", h.sound], ["frame rate", `${fmt(h.fps, 1)} fps`]];
  $("health").innerHTML = rows.map(([k, v]) => {
    const bad = (k === "health" && v !== "ok") || (k === "sound" && (v === "lost" || v === "silent"));
    return `<div class="health-row${bad ? " bad" : ""}"><span class="caption">${k}</span>` +
           `<span id="health-${k.replace(" ", "-")}"></span></div>`;
  }).join("");
  for (const [k, v] of rows) $(`health-${k.replace(" ", "-")}`).textContent = v;
}

// --- the room's plot ----------------------------------------------------------------------

function drawPlot() {
  const canvas = $("room-plot");
  const ctx = canvas.getContext("2d");
  const w = canvas.width, h = canvas.height;
  ctx.fillStyle = "#10141a";
  ctx.fillRect(0, 0, w, h);
  ctx.strokeStyle = "#2a3340";
  ctx.beginPath();
  ctx.moveTo(0, h / 2);
  ctx.lineTo(w, h / 2);
  ctx.stroke();
  if (history.length < 2) return;
  const newest = history[history.length - 1][0];
  const span = 300;
  const maxFaces = Math.max(5, ...history.map((s) => s[1]));
  const scale = [(v) => v / maxFaces, (v) => (v + 1) / 2, (v) => (v + 1) / 2, (v) => v];
  PLOT.forEach(([, colour], k) => {
    ctx.strokeStyle = colour;
    ctx.lineWidth = 2;
    ctx.beginPath();
    let drawing = false;
    history.forEach((s) => {
      if (s[0] === null || s[k + 1] === null) { drawing = false; return; }  // not known
      const x = w - ((newest - s[0]) / span) * w;
      const y = h - scale[k](s[k + 1]) * (h - 4) - 2;
      if (drawing) ctx.lineTo(x, y); else ctx.moveTo(x, y);
      drawing = true;
    });
    ctx.stroke();
  });
}

// --- buttons and keys ---------------------------------------------------------------------

function wire() {
  $("go").onclick = () => send({op: "go"});
  $("back").onclick = () => send({op: "back"});
  $("stop").onclick = () => send({op: "stop"});
  $("pause").onclick = () => send({op: state && state.paused ? "resume" : "pause"});
  $("panic").onclick = () => send({op: "panic"});
  $("blackout").onclick = () => send({op: "blackout", on: state && state.blackout ? 0 : 1});
  $("hold").onclick = () => send({op: "hold",
                                   on: state && state.condition && state.condition.held ? 0 : 1});
  $("showmode").onclick = () => send({op: "showmode", on: state && state.show_mode ? 0 : 1});
  $("passcode-form").onsubmit = (event) => {
    event.preventDefault();
    passcode = $("passcode").value;
    send({op: "connect", code: passcode});
  };
  // a clicked button gives the focus back, so Space is GO and never presses it again
  document.addEventListener("click", (event) => {
    const button = event.target && event.target.closest && event.target.closest("button");
    if (button && button.type !== "submit") button.blur();
  });
  const field = (t) => ["INPUT", "TEXTAREA", "SELECT"].includes((t && t.tagName) || "");
  const onButton = (t) => Boolean(t && t.closest && t.closest("button"));
  document.addEventListener("keydown", (event) => {
    if (field(event.target)) return;
    if (event.code === "Space") {  // GO, never also the focused button's own press
      event.preventDefault();
      if (onButton(event.target)) event.target.blur();
      if (!event.repeat) send({op: "go"});
    }
    if (event.code === "Escape" && !event.repeat) { event.preventDefault(); send({op: "panic"}); }
  });
  document.addEventListener("keyup", (event) => {
    if (event.code === "Space" && onButton(event.target)) event.preventDefault();
  });
  document.addEventListener("pointerup", () => {
    for (const name of Object.keys(editing)) editing[name] = performance.now();
  });
  setInterval(tickWaits, 100);
}

function showReply(message) {
  const reply = $("reply");
  const what = message.address || "";
  const data = message.data === undefined || message.data === null ? ""
             : typeof message.data === "string" ? message.data : JSON.stringify(message.data);
  reply.textContent = (data ? `${message.status}: ${data}` : message.status) +
                      (what ? `  ·  ${what}` : "");
  reply.title = what;
  reply.dataset.address = what;
  reply.className = message.status === "ok" ? "ok" : "bad";
}

wire();
connect();
