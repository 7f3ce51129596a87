// The web page: one WebSocket to /ws, three views (play a seat, watch, replay) and the Skeld map.
// The play view draws only what the seat's observation holds; the watch and replay views draw
// GameView frames, which the server sends only for games of this connection's own.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const $ = (id) => document.getElementById(id);
const page = {
  map: null,           // /web/map.json
  rooms: {},           // room name -> {box, center}
  socket: null,
  waiting: [],         // resolvers of sent messages, in order (the server answers in order)
  view: "play",
  observation: null,
  watch: { view: null, frame: null, running: false, timer: null, busy: false },
  replay: { view: null, index: 0, timer: null },
};

// ------------------------------------------------------------------------------ connection
function connect() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const socket = new WebSocket(`${scheme}//${location.host}/ws`);
  page.socket = socket;
  return new Promise((resolve, reject) => {
    socket.onopen = () => { setStatus("Connected."); resolve(); };
    socket.onerror = () => reject(new Error("the connection failed"));
    socket.onclose = () => {
      setStatus("Disconnected from the server: reload the page to reconnect.");
      for (const waiter of page.waiting.splice(0)) waiter.reject(new Error("disconnected"));
      stopWatching();
    };
    socket.onmessage = (event) => {
      const waiter = page.waiting.shift();
      if (waiter) waiter.resolve(JSON.parse(event.data));
    };
  });
}

function send(text) {
  return new Promise((resolve, reject) => {
    if (!page.socket || page.socket.readyState !== WebSocket.OPEN) {
      reject(new Error("not connected"));
      return;
    }
    page.waiting.push({ resolve, reject });
    page.socket.send(text);
  });
}

/** Send a message (or a message's ready-made JSON text); the reply's data, or null after
 * showing its error. */
async function request(type, data, expected, text) {
  let reply;
  try {
    reply = await send(text || JSON.stringify(data === undefined ? { type } : { type, data }));
  } catch (error) {
    setStatus(`Error: ${error.message}`);
    return null;
  }
  if (reply.type === "error") {
    setStatus(`Error: ${reply.data.message}`);
    return null;
  }
  if (reply.type !== expected) {
    setStatus(`Unexpected reply ${reply.type}`);
    return null;
  }
  return reply.data;
}

function setStatus(text) { $("status").textContent = text; }

// ------------------------------------------------------------------------------ helpers
function el(tag, attributes = {}, text) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function svg(tag, attributes = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function fillList(list, items, last = true) {
  list.replaceChildren(...items.map((item) => (item instanceof Node ? item : el("li", {}, item))));
  if (last && list.lastElementChild) list.scrollTop = list.scrollHeight;
}

function colourOf(name) { return page.map.colors[name] || "#888"; }

/** Black or white, whichever reads better on the colour. */
function inkOn(hex) {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return 0.299 * r + 0.587 * g + 0.114 * b > 140 ? "#111" : "#fff";
}

function seatNumber(name) { return Number((name.match(/^Player (\d+)/) || [0, 0])[1]); }

// ------------------------------------------------------------------------------ the map
function drawMap() {
  const map = page.map;
  const [width, height] = map.size;
  $("map").setAttribute("viewBox", `0 0 ${width} ${height}`);
  const links = $("layer-links");
  const rooms = $("layer-rooms");
  for (const room of map.rooms) page.rooms[room.name] = room;
  for (const [a, b] of map.corridors) {
    const [x1, y1] = page.rooms[a].center;
    const [x2, y2] = page.rooms[b].center;
    links.append(svg("line", { class: "corridor", x1, y1, x2, y2, "data-from": a, "data-to": b }));
  }
  for (const [a, b] of map.vents) {
    const [x1, y1] = page.rooms[a].center;
    const [x2, y2] = page.rooms[b].center;
    const bend = `Q ${(x1 + x2) / 2 + 25} ${(y1 + y2) / 2 - 25} ${x2} ${y2}`;
    const path = svg("path", { class: "vent", d: `M ${x1} ${y1} ${bend}`, "data-from": a, "data-to": b });
    path.append(svg("title", {}, `vent between ${a} and ${b}`));
    links.append(path);
  }
  for (const room of map.rooms) {
    const group = svg("g", { class: "room", "data-room": room.name });
    group.append(svg("title", {}, room.name));
    group.append(svg("polygon", { points: room.polygon.map((p) => p.join(",")).join(" ") }));
    group.append(svg("text", { x: room.center[0], y: room.box[1] + 15, "aria-label": room.name }, room.label));
    rooms.append(group);
  }
}

/**
 * Draw players: [{seat, name, color, room, alive, body, role?, acting?}]. Living players first,
 * then bodies, in a grid inside each room's outline box.
 */
function drawPlayers(players, here) {
  const layer = $("layer-players");
  layer.replaceChildren();
  for (const group of document.querySelectorAll(".room")) {
    group.classList.toggle("here", group.dataset.room === here);
  }
  const byRoom = {};
  for (const player of players) (byRoom[player.room] ||= []).push(player);
  for (const [roomName, occupants] of Object.entries(byRoom)) {
    const room = page.rooms[roomName];
    if (!room) continue;
    occupants.sort((a, b) => (a.body - b.body) || (a.seat - b.seat));
    const [x0, y0, x1] = room.box;
    const cell = 32;
    const columns = Math.max(1, Math.floor((x1 - x0) / cell));
    const used = Math.min(columns, occupants.length);
    const left = room.center[0] - (used * cell) / 2 + cell / 2;
    occupants.forEach((player, i) => {
      const x = left + (i % columns) * cell;
      const y = y0 + 36 + Math.floor(i / columns) * 40;
      layer.append(playerMarker(player, x, y, roomName));
    });
  }
}

function playerMarker(player, x, y, roomName) {
  const colour = colourOf(player.color);
  const classes = ["player"];
  if (player.body) classes.push("body");
  if (player.acting) classes.push("acting");
  if (player.role === "impostor") classes.push("impostor");
  const group = svg("g", {
    class: classes.join(" "),
    "data-seat": player.seat,
    "data-name": player.name,
    "data-color": player.color,
    "data-room": roomName,
    "data-cx": x,
    "data-cy": y,
  });
  const role = player.role ? `, ${player.role}` : "";
  const state = player.body ? ", dead (body)" : "";
  group.append(svg("title", {}, `${player.name}${role}${state} in ${roomName}`));
  group.append(svg("circle", { class: "disc", cx: x, cy: y, r: 13, fill: colour }));
  group.append(svg("text", { class: "seat-number", x, y: y + 4.5, fill: inkOn(colour) }, String(player.seat + 1)));
  // The colour's name under the disc (three letters fit), so colour is never the only cue.
  group.append(svg("text", { class: "name-tag", x, y: y + 24 }, player.color.slice(0, 3)));
  if (player.body) {
    group.append(svg("line", { class: "cross", x1: x - 10, y1: y - 10, x2: x + 10, y2: y + 10 }));
    group.append(svg("line", { class: "cross", x1: x + 10, y1: y - 10, x2: x - 10, y2: y + 10 }));
  }
  if (player.role === "impostor") {
    group.append(svg("rect", { class: "badge", x: x + 6, y: y - 16, width: 9, height: 9 }));
  }
  return group;
}

function setTaskBar(share) {
  const bar = $("task-bar");
  const percent = Math.round(share * 100);
  bar.setAttribute("aria-valuenow", String(percent));
  bar.firstElementChild.style.width = `${percent}%`;
}

// ------------------------------------------------------------------------------ views
function showView(name) {
  page.view = name;
  for (const view of ["play", "watch", "replay"]) {
    $(`tab-${view}`).setAttribute("aria-selected", String(view === name));
    $(`panel-${view}`).hidden = view !== name;
  }
  if (name !== "watch") stopWatching();
  if (name !== "replay") stopReplayTimer();
  if (name === "play") renderObservation();
  if (name === "watch") renderWatchFrame();
  if (name === "replay") renderReplayFrame();
}

function fillMenus() {
  for (const select of document.querySelectorAll(".config-select")) {
    select.replaceChildren(...page.map.presets.map((name) => el("option", { value: name }, name)));
    select.value = page.map.presets.includes("seven_member") ? "seven_member" : page.map.presets[0];
  }
  for (const select of document.querySelectorAll(".policy-select")) {
    select.replaceChildren(...page.map.policies.map((name) => el("option", { value: name }, name)));
    select.value = page.map.default_policy;
  }
}

function seedOf(input) {
  const text = input.value.trim();
  return text === "" ? undefined : Number(text);
}

// ---------------------------------------------------------------- play a seat (observations)
async function newSeatGame(event) {
  event.preventDefault();
  const data = {
    config: $("play-config").value,
    policies: { impostor: $("play-impostor").value, crewmate: $("play-crewmate").value },
  };
  const seed = seedOf($("play-seed"));
  if (seed !== undefined) data.seed = seed;
  if ($("play-role").value) data.role = $("play-role").value;
  const reply = await request("reset", data, "observation");
  if (reply) {
    page.observation = reply.observation;
    page.observation.done = reply.done;
    page.playEvents = [...reply.observation.events];
    setStatus(`New game: you are ${reply.observation.name}.`);
    renderObservation();
  }
}

async function playAction(action) {
  for (const button of $("play-actions").querySelectorAll("button")) button.disabled = true;
  const reply = await request("step", action, "observation");
  if (!reply) { renderObservation(); return; }
  page.observation = reply.observation;
  page.observation.done = reply.done;
  page.playEvents.push(...reply.observation.events);
  renderObservation();
}

function actionLabel(action) {
  const words = { move: "Move to", vent: "Vent to", task: "Do task", kill: "Kill", report: "Report body",
    call_meeting: "Call meeting", talk: "Talk", vote: "Vote for", monitor: "Watch monitor" };
  const word = words[action.type] || action.type;
  return action.target ? `${word} ${action.target}` : word;
}

function renderObservation() {
  if (page.view !== "play") return;
  const o = page.observation;
  if (!o) {
    drawPlayers([], null);
    $("frame-line").textContent = "Start a new game to play a seat against the bots.";
    setTaskBar(0);
    return;
  }
  // The seat and the players its observation shows in its room: nothing else is known.
  const players = [{ seat: o.seat, name: o.name, color: o.name.split(": ")[1], room: o.location,
    alive: o.alive, body: !o.alive, acting: !o.done && o.legal_actions.length > 0 }];
  for (const other of o.visible_players) {
    players.push({ seat: seatNumber(other.name) - 1, name: other.name, color: other.color,
      room: o.location, alive: !other.dead, body: other.dead });
  }
  drawPlayers(players, o.location);
  const phase = o.phase.replace("_", " ");
  $("frame-line").textContent = o.done
    ? `Game over: ${o.game_status}`
    : `Timestep ${o.timestep}, ${phase}; you are in ${o.location}`;
  const done = o.tasks.filter((t) => t.completed).length;
  setTaskBar(o.tasks.length ? done / o.tasks.length : 0);

  const seat = $("play-seat");
  seat.replaceChildren(
    el("p", {}, `You are ${o.name}, `),
    el("p", {}, o.internal_monologue),
  );
  seat.firstChild.append(el("span", { class: `role-${o.role}`, id: "play-role-text" }, o.role));
  seat.firstChild.append(o.alive ? " (alive)" : " (dead)");
  // The map's company in words, for screen readers and for anyone who cannot tell colours.
  const company = o.visible_players.map((p) => (p.dead ? `${p.name} (body)` : p.name));
  seat.append(el("p", { id: "play-company" },
    `In ${o.location} with you: ${company.length ? company.join(", ") : "no one"}.`));
  if (o.done) seat.append(el("p", { class: "game-over", id: "play-result" }, `Game over: ${o.game_status}`));

  const talkAllowed = o.legal_actions.some((a) => a.type === "talk");
  const buttons = o.legal_actions.filter((a) => a.type !== "talk").map((action) => {
    const button = el("button", { type: "button", class: "action", "data-type": action.type }, actionLabel(action));
    if (action.target) button.dataset.target = action.target;
    button.addEventListener("click", () => playAction(action));
    return button;
  });
  $("play-actions").replaceChildren(...buttons);
  $("play-talk").hidden = !talkAllowed;
  $("play-error").textContent = o.error || "";
  fillList($("play-tasks"), o.tasks.map((t) => `${t.completed ? "✔" : "☐"} ${t.task} (${t.room})`), false);
  fillList($("play-chat"), o.chat_history);
  fillList($("play-events"), (page.playEvents || []).slice(-200));
  $("play-prompt").textContent = o.prompt;
}

async function say(event) {
  event.preventDefault();
  const text = $("play-speech").value.trim();
  $("play-speech").value = "";
  await playAction(text ? { type: "talk", target: text } : { type: "talk" });
}

// ------------------------------------------------------------------------------ frames
function framePlayers(view, frame) {
  return view.cast.map((member) => {
    const where = frame.players[member.seat];
    return { seat: member.seat, name: member.name, color: member.color, role: member.role,
      room: where.location, alive: where.alive, body: where.body,
      acting: frame.acting_seat === member.seat };
  }).filter((p) => p.alive || p.body);
}

function renderFrame(view, frame, details) {
  drawPlayers(framePlayers(view, frame), null);
  const names = view.cast.map((m) => m.name);
  const phase = frame.phase === "discussion"
    ? `meeting, discussion round ${frame.discussion_round + 1}`
    : frame.phase.replace("_", " ");
  const next = frame.acting_seat === null ? "" : `; ${names[frame.acting_seat]} to act`;
  $("frame-line").textContent = frame.game_over
    ? `Game over at timestep ${frame.timestep}: ${frame.game_status}`
    : `Timestep ${frame.timestep}, ${phase}${next}`;
  setTaskBar(frame.task_completion);

  const cast = el("ol", { class: "cast" });
  for (const member of view.cast) {
    const where = frame.players[member.seat];
    const item = el("li", { "data-seat": member.seat }, `${member.name}: `);
    item.append(el("span", { class: `role-${member.role}` }, member.role));
    item.append(where.alive ? ` in ${where.location}` : where.body ? ` (body in ${where.location})` : " (dead)");
    cast.append(item);
  }
  const last = frame.action === null ? "Before the first action." : `${names[frame.actor]}: ${frame.action}`;
  const parts = [el("p", { class: "last-action" }, `Action ${frame.step}: ${last}`), el("h2", {}, "Players"), cast];
  if (frame.chat.length || frame.votes.length || frame.meeting_result) {
    parts.push(el("h2", {}, "Meeting"));
    const chat = el("ol", { class: "chat" });
    fillList(chat, frame.chat);
    parts.push(chat);
    if (frame.votes.length) {
      const votes = el("ul", { class: "votes" });
      fillList(votes, frame.votes.map((v) => `${names[v.voter]} voted for ${names[v.target]}`), false);
      parts.push(el("h2", {}, "Votes"), votes);
    }
    if (frame.meeting_result) parts.push(el("p", { class: "meeting-result" }, frame.meeting_result));
  }
  if (frame.game_over) parts.push(el("p", { class: "game-over" }, `Game over: ${frame.game_status}`));
  details.replaceChildren(...parts);
}

// ------------------------------------------------------------------------------ watch
async function startWatching(event) {
  event.preventDefault();
  stopWatching();
  const data = {
    config: $("watch-config").value,
    policies: { impostor: $("watch-impostor").value, crewmate: $("watch-crewmate").value },
  };
  const seed = seedOf($("watch-seed"));
  if (seed !== undefined) data.seed = seed;
  const view = await request("spectate", data, "spectator");
  if (!view) return;
  page.watch.view = view;
  page.watch.frame = view.frames[view.frames.length - 1];
  setStatus(`Watching a bot game (seed ${view.seed}).`);
  $("watch-toggle").disabled = false;
  $("watch-step").disabled = false;
  renderWatchFrame();
  resumeWatching();
}

function renderWatchFrame() {
  if (page.view !== "watch") return;
  const { view, frame } = page.watch;
  if (!view) {
    drawPlayers([], null);
    $("frame-line").textContent = "Start a bot-only game to watch it unfold.";
    setTaskBar(0);
    return;
  }
  renderFrame(view, frame, $("watch-details"));
}

async function watchStep(steps) {
  if (page.watch.busy || !page.watch.view || page.watch.frame.game_over) return;
  page.watch.busy = true;
  const view = await request("spectate_step", { steps }, "spectator");
  page.watch.busy = false;
  if (!view) { stopWatching(); return; }
  if (view.frames.length) page.watch.frame = view.frames[view.frames.length - 1];
  page.watch.view.frames = [];
  page.watch.view.winner_reason = view.winner_reason;
  renderWatchFrame();
  if (page.watch.frame.game_over) {
    stopWatching();
    $("watch-toggle").disabled = true;
    $("watch-step").disabled = true;
    setStatus(`The watched game is over: ${page.watch.frame.game_status}`);
  }
}

function resumeWatching() {
  page.watch.running = true;
  $("watch-toggle").textContent = "Pause";
  const tick = async () => {
    if (!page.watch.running) return;
    const speed = Number($("watch-speed").value);
    const steps = Math.max(1, Math.round(speed / 8));
    await watchStep(steps);
    if (page.watch.running) page.watch.timer = setTimeout(tick, (1000 * steps) / speed);
  };
  tick();
}

function stopWatching() {
  page.watch.running = false;
  clearTimeout(page.watch.timer);
  if ($("watch-toggle")) $("watch-toggle").textContent = "Play";
}

// ------------------------------------------------------------------------------ replay
// `amongus play` writes games.jsonl.gz: the browser's own gzip decoder reads it.
async function fileText(file) {
  if (!file.name.endsWith(".gz")) return file.text();
  return new Response(file.stream().pipeThrough(new DecompressionStream("gzip"))).text();
}

async function loadUploadedReplay(event) {
  event.preventDefault();
  const file = $("replay-file").files[0];
  if (!file) { setStatus("Choose a games.jsonl.gz (or games.jsonl) file first."); return; }
  let content;
  try { content = await fileText(file); } catch (error) { setStatus(`Not a gzip file: ${error.message}`); return; }
  const lines = content.split("\n").filter((line) => line.trim());
  const index = Number($("replay-game").value || 0);
  if (index >= lines.length) { setStatus(`The file holds ${lines.length} game(s).`); return; }
  try { JSON.parse(lines[index]); } catch (error) { setStatus(`Not a game log: ${error.message}`); return; }
  // The line goes as it is: JavaScript numbers would round the log's 63-bit seed.
  const text = `{"type":"replay","data":{"log":${lines[index]}}}`;
  showReplay(await request("replay", null, "replay", text), `${file.name}, game ${index} of ${lines.length}`);
}

async function loadServerReplay(event) {
  event.preventDefault();
  const path = $("replay-path").value;
  const game = Number($("replay-server-game").value || 0);
  const view = await request("replay", { path, game }, "replay");
  showReplay(view, view ? `${path}, game ${game} of ${view.games_in_file}` : "");
}

function showReplay(view, what) {
  if (!view) return;
  stopReplayTimer();
  page.replay.view = view;
  page.replay.index = 0;
  const timeline = $("replay-timeline");
  timeline.max = String(view.frames.length - 1);
  timeline.value = "0";
  for (const id of ["replay-timeline", "replay-prev", "replay-next", "replay-toggle"]) $(id).disabled = false;
  setStatus(`Replaying ${what}: ${view.frames.length - 1} actions, ${view.winner_reason || "unfinished"}.`);
  renderReplayFrame();
}

function seekReplay(index) {
  const view = page.replay.view;
  if (!view) return;
  page.replay.index = Math.max(0, Math.min(view.frames.length - 1, index));
  $("replay-timeline").value = String(page.replay.index);
  renderReplayFrame();
}

function renderReplayFrame() {
  if (page.view !== "replay") return;
  const view = page.replay.view;
  if (!view) {
    drawPlayers([], null);
    $("frame-line").textContent = "Load a games.jsonl.gz (from amongus play) to replay a game.";
    setTaskBar(0);
    return;
  }
  $("replay-position").textContent = `${page.replay.index} / ${view.frames.length - 1}`;
  renderFrame(view, view.frames[page.replay.index], $("replay-details"));
}

function toggleReplay() {
  if (page.replay.timer) { stopReplayTimer(); return; }
  $("replay-toggle").textContent = "Pause";
  page.replay.timer = setInterval(() => {
    const view = page.replay.view;
    if (!view || page.replay.index >= view.frames.length - 1) { stopReplayTimer(); return; }
    seekReplay(page.replay.index + 1);
  }, 250);
}

function stopReplayTimer() {
  clearInterval(page.replay.timer);
  page.replay.timer = null;
  if ($("replay-toggle")) $("replay-toggle").textContent = "Play";
}

async function listServerReplays() {
  const files = await request("replay_files", undefined, "replay_files");
  if (!files || !files.enabled || !files.files.length) return;
  $("replay-path").replaceChildren(...files.files.map((f) => el("option", { value: f.path }, f.path)));
  $("replay-server").hidden = false;
}

// ------------------------------------------------------------------------------ start
async function main() {
  for (const view of ["play", "watch", "replay"]) $(`tab-${view}`).addEventListener("click", () => showView(view));
  $("play-form").addEventListener("submit", newSeatGame);
  $("play-talk").addEventListener("submit", say);
  $("watch-form").addEventListener("submit", startWatching);
  $("watch-toggle").addEventListener("click", () => (page.watch.running ? stopWatching() : resumeWatching()));
  $("watch-step").addEventListener("click", () => { stopWatching(); watchStep(1); });
  $("replay-upload").addEventListener("submit", loadUploadedReplay);
  $("replay-server").addEventListener("submit", loadServerReplay);
  $("replay-timeline").addEventListener("input", (e) => seekReplay(Number(e.target.value)));
  $("replay-prev").addEventListener("click", () => seekReplay(page.replay.index - 1));
  $("replay-next").addEventListener("click", () => seekReplay(page.replay.index + 1));
  $("replay-toggle").addEventListener("click", toggleReplay);
  document.addEventListener("keydown", (event) => {
    if (event.target.closest("input, select, textarea")) return;
    if (page.view === "replay" && event.key === "ArrowRight") seekReplay(page.replay.index + 1);
    if (page.view === "replay" && event.key === "ArrowLeft") seekReplay(page.replay.index - 1);
  });
  const response = await fetch("/web/map.json");
  page.map = await response.json();
  drawMap();
  fillMenus();
  showView("play");
  try {
    await connect();
  } catch (error) {
    setStatus(`Cannot reach the server: ${error.message}`);
    return;
  }
  document.body.dataset.ready = "true";
  await listServerReplays();
}

main();
