// The operator console's controls for the show's declared inputs (ISF-style sliders, toggles,
// colour pickers, points): built when the inputs change, following the show's values except
// while the operator drags one, and sending at most PARAM_EVERY_MS apart.
// Loaded before console.js, whose `$`, `fmt` and `send` it calls (docs/console.md).
"use strict";

const PARAM_EVERY_MS = 50;   // a dragged control sends at most 20 values a second
const EDIT_GRACE_MS = 1500;  // after a drag, the show's value is followed again
const editing = {};   // input name -> time of the page's last edit
const pending = {};   // input name -> {value, timer, last}
let inputsKey = "";

function drawInputs(inputs) {
  const key = JSON.stringify(inputs.map((i) => [i.name, i.type, i.label, i.min, i.max]));
  if (key !== inputsKey) {
    inputsKey = key;
    const box = $("inputs");
    box.textContent = "";
    for (const input of inputs) box.appendChild(inputControl(input));
  }
  const now = performance.now();
  for (const input of inputs) {
    if (editing[input.name] && now - editing[input.name] < EDIT_GRACE_MS) continue;
    showInputValue(input);
  }
}

function bounds(input, index) {
  const pick = (v, fallback) => v === null || v === undefined ? fallback
                              : Array.isArray(v) ? v[index] : v;
  return [pick(input.min, 0), pick(input.max, 1)];
}

function slider(input, index, onInput) {
  const range = document.createElement("input");
  range.type = "range";
  const [low, high] = bounds(input, index);
  range.min = low;
  range.max = high;
  range.step = input.type === "int" || input.type === "long" ? 1 : (high - low) / 1000 || 0.001;
  range.className = "editing";
  range.addEventListener("input", onInput);
  range.addEventListener("pointerdown", () => { editing[input.name] = performance.now(); });
  return range;
}

function inputControl(input) {
  const box = document.createElement("div");
  box.className = `input type-${input.type}`;
  box.id = `input-${input.name}`;
  box.dataset.name = input.name;
  const label = document.createElement("label");
  label.textContent = input.label;
  box.appendChild(label);
  const controls = document.createElement("div");
  controls.className = "controls";
  box.appendChild(controls);
  if (input.type === "bool") {
    const toggle = document.createElement("input");
    toggle.type = "checkbox";
    toggle.className = "editing toggle";
    toggle.addEventListener("change", () => {
      editing[input.name] = performance.now();
      sendParam(input.name, toggle.checked ? 1 : 0, true);
    });
    controls.appendChild(toggle);
  } else if (input.type === "color") {
    const picker = document.createElement("input");
    picker.type = "color";
    picker.className = "editing";
    picker.addEventListener("input", () => {
      editing[input.name] = performance.now();
      const alpha = Array.isArray(input.value) ? input.value[3] ?? 1 : 1;
      sendParam(input.name, hexToRgb(picker.value).concat([alpha]));
    });
    controls.appendChild(picker);
  } else if (input.type === "point2D") {
    const xs = [0, 1].map((i) => slider(input, i, () => {
      editing[input.name] = performance.now();
      sendParam(input.name, xs.map((s) => Number(s.value)));
    }));
    xs.forEach((s) => controls.appendChild(s));
  } else {
    const range = slider(input, 0, () => {
      editing[input.name] = performance.now();
      sendParam(input.name, Number(range.value));
    });
    controls.appendChild(range);
  }
  const value = document.createElement("span");
  value.className = "value";
  box.appendChild(value);
  return box;
}

function showInputValue(input) {
  const box = $(`input-${input.name}`);
  if (!box) return;
  const v = input.value;
  const text = Array.isArray(v) ? v.map((x) => fmt(x)).join(", ") : fmt(v, 3);
  box.querySelector(".value").textContent = text;
  box.dataset.value = JSON.stringify(v);
  if (input.type === "bool") {
    box.querySelector("input").checked = Boolean(v);
  } else if (input.type === "color" && Array.isArray(v)) {
    box.querySelector("input").value = rgbToHex(v);
  } else {
    const ranges = box.querySelectorAll("input[type=range]");
    ranges.forEach((r, i) => { r.value = Array.isArray(v) ? v[i] : v; });
  }
}

function sendParam(name, value, now = false) {
  const box = $(`input-${name}`);
  if (box) box.querySelector(".value").textContent =
    Array.isArray(value) ? value.map((x) => fmt(x)).join(", ") : fmt(value, 3);
  const p = pending[name] || (pending[name] = {last: 0, timer: null, value: null});
  p.value = value;
  const wait = PARAM_EVERY_MS - (performance.now() - p.last);
  if (now || wait <= 0) {
    flushParam(name);
  } else if (!p.timer) {
    p.timer = setTimeout(() => flushParam(name), wait);
  }
}

function flushParam(name) {
  const p = pending[name];
  if (p.timer) { clearTimeout(p.timer); p.timer = null; }
  p.last = performance.now();
  send({op: "param", name, value: p.value});
}

function hexToRgb(hex) {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
}

function rgbToHex(v) {
  return "#" + v.slice(0, 3).map((x) =>
    Math.round(Math.max(0, Math.min(1, x)) * 255).toString(16).padStart(2, "0")).join("");
}
