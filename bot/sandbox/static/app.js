// gongbae sandbox web chat: one phone-like column per persona, long-polling the sandbox.
"use strict";

const ROLE_LABELS = {
  resident: "resident · 주민",
  merchant: "merchant · 가맹점",
  staff: "staff · 담당자",
};
const personas = new Map(); // key -> persona
const columns = new Map(); // key -> column state
let timeZone; // the personas' phones' (the region's), from /sandbox/api/personas

function el(tag, attrs = {}, text = null) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== null && value !== undefined) node.setAttribute(name, String(value));
  }
  if (text !== null) node.textContent = text;
  return node;
}

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.error || response.statusText);
  return data;
}

function defaultKeys(list) {
  const pick = (test) => list.find(test);
  const chosen = [
    pick((p) => p.role === "resident" && (p.language || "ko").startsWith("ko")),
    pick((p) => p.role === "resident" && (p.language || "").startsWith("en")),
    pick((p) => p.role === "merchant"),
    pick((p) => p.role === "staff"),
  ].filter(Boolean);
  const keys = [...new Set(chosen.map((p) => p.key))];
  if (keys.length === 0) return list.slice(0, 4).map((p) => p.key);
  return keys;
}

function saveHash() {
  const keys = [...columns.keys()];
  history.replaceState(null, "", keys.length ? `#p=${keys.map(encodeURIComponent).join(",")}` : "#");
}

function hashKeys() {
  const match = location.hash.match(/^#p=(.*)$/);
  if (!match) return null;
  return match[1].split(",").map(decodeURIComponent).filter((key) => personas.has(key));
}

function describe(persona) {
  const parts = [ROLE_LABELS[persona.role] || persona.role, persona.language, persona.shop];
  if (persona.username) parts.push(`@${persona.username}`);
  return parts.filter(Boolean).join(" · ");
}

function addColumn(key) {
  if (columns.has(key) || !personas.has(key)) return;
  const persona = personas.get(key);
  const node = document.getElementById("column-template").content.firstElementChild.cloneNode(true);
  node.dataset.persona = key;
  node.dataset.userId = persona.user_id;
  node.dataset.role = persona.role || "";
  node.querySelector(".name").textContent = persona.name;
  node.querySelector(".meta").textContent = describe(persona);
  const state = {
    key, persona, node, since: 0, alive: true, toastVersion: -1, blocked: persona.blocked,
    chat: node.querySelector(".chat"),
    keyboard: node.querySelector(".reply-keyboard"),
    toasts: node.querySelector(".toasts"),
    status: node.querySelector(".status"),
    commands: node.querySelector(".commands"),
    input: node.querySelector("[data-testid=input]"),
  };
  columns.set(key, state);
  node.querySelector(".composer").addEventListener("submit", (event) => {
    event.preventDefault();
    sendText(state, state.input.value);
  });
  node.querySelector(".close").addEventListener("click", () => removeColumn(key));
  node.querySelector(".block").addEventListener("click", () => {
    post("/sandbox/api/block", { user_id: persona.user_id, blocked: !state.blocked })
      .then((data) => { state.blocked = data.blocked; renderStatus(state, null); })
      .catch((err) => toast(state, err.message, "error"));
  });
  const file = node.querySelector(".file");
  node.querySelector(".attach").addEventListener("click", () => file.click());
  file.addEventListener("change", () => {
    if (file.files.length) sendFile(state, file.files[0]);
    file.value = "";
  });
  node.querySelector(".slash").addEventListener("click", () => {
    state.commands.hidden = !state.commands.hidden;
  });
  document.getElementById("columns").appendChild(node);
  saveHash();
  poll(state);
}

function removeColumn(key) {
  const state = columns.get(key);
  if (!state) return;
  state.alive = false;
  if (state.abort) state.abort.abort();
  state.node.remove();
  columns.delete(key);
  saveHash();
}

async function sendText(state, text) {
  text = text.trim();
  if (!text) return;
  state.input.value = "";
  try {
    await post("/sandbox/api/send", { user_id: state.persona.user_id, text });
  } catch (err) {
    toast(state, err.message, "error");
  }
}

async function sendFile(state, file) {
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    let binary = "";
    for (let i = 0; i < bytes.length; i += 0x8000) {
      binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    }
    await post("/sandbox/api/upload", { user_id: state.persona.user_id, filename: file.name, data: btoa(binary) });
  } catch (err) {
    toast(state, err.message, "error");
  }
}

async function poll(state) {
  while (state.alive) {
    state.abort = new AbortController();
    try {
      const response = await fetch(
        `/sandbox/api/chat/${state.persona.user_id}?since=${state.since}`,
        { signal: state.abort.signal },
      );
      if (!response.ok) throw new Error(response.statusText);
      const data = await response.json();
      if (data.version !== state.since) {
        state.since = data.version;
        render(state, data);
      }
    } catch (err) {
      if (!state.alive) return;
      state.status.textContent = "offline · 연결 끊김";
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

function render(state, data) {
  const atBottom = state.chat.scrollHeight - state.chat.scrollTop - state.chat.clientHeight < 40;
  state.chat.replaceChildren(...data.messages.map((message) => renderMessage(state, message)));
  renderReplyKeyboard(state, data.reply_keyboard);
  renderCommands(state, data.commands || []);
  state.blocked = data.user.blocked;
  renderStatus(state, data.action);
  for (const answer of data.toasts) {
    if (answer.version > state.toastVersion) {
      state.toastVersion = answer.version;
      // a column opened later shows the answers to its own presses, not the old ones
      if (answer.text && state.firstRender) {
        toast(state, answer.text, answer.show_alert ? "alert" : "info");
      }
    }
  }
  if (atBottom || state.firstRender !== true) state.chat.scrollTop = state.chat.scrollHeight;
  state.firstRender = true;
}

function renderStatus(state, action) {
  const parts = [];
  if (action) parts.push(action === "typing" ? "typing… · 입력 중" : `${action}…`);
  if (state.blocked) parts.push("blocked · 차단됨");
  state.status.textContent = parts.join(" · ");
  state.node.classList.toggle("is-blocked", Boolean(state.blocked));
}

function renderMessage(state, message) {
  const row = el("div", { class: `row from-${message.from}` });
  if (message.deleted) {
    row.appendChild(el("div", {
      class: "bubble deleted", "data-testid": "bubble-deleted", "data-message-id": message.message_id,
    }, "message deleted · 삭제된 메시지"));
    return row;
  }
  const bubble = el("div", {
    class: "bubble", "data-testid": "bubble", "data-from": message.from,
    "data-message-id": message.message_id,
  });
  if (message.photo) {
    const img = el("img", {
      src: `/sandbox/photo/${encodeURIComponent(message.photo)}`, alt: "photo · 사진", loading: "lazy",
    });
    bubble.appendChild(img);
  }
  if (message.document) bubble.appendChild(el("div", { class: "attachment" }, `📎 ${message.document}`));
  if (message.contact) {
    bubble.appendChild(el("div", { class: "attachment" }, `📞 ${message.contact.phone_number}`));
  }
  if (message.location) {
    const { latitude, longitude } = message.location;
    bubble.appendChild(el("div", { class: "attachment" }, `📍 ${latitude.toFixed(5)}, ${longitude.toFixed(5)}`));
  }
  if (message.text) {
    const text = el("div", { class: "text", "data-testid": "bubble-text" });
    if (message.from === "bot") {
      text.innerHTML = message.html; // built by the sandbox from parsed entities; all text escaped
    } else {
      text.textContent = message.text; // user text is never parsed as HTML
    }
    bubble.appendChild(text);
  }
  const time = new Date(message.date * 1000).toLocaleTimeString([], {
    hour: "2-digit",
    minute: "2-digit",
    timeZone,
  });
  bubble.appendChild(el("div", { class: "time" }, (message.edited ? "edited · 수정됨 " : "") + time));
  row.appendChild(bubble);
  if (message.inline_keyboard && message.inline_keyboard.length) {
    row.appendChild(renderInlineKeyboard(state, message));
  }
  return row;
}

function renderInlineKeyboard(state, message) {
  const keyboard = el("div", { class: "inline-keyboard", "data-testid": "inline-keyboard" });
  for (const buttons of message.inline_keyboard) {
    const line = el("div", { class: "kb-row" });
    for (const button of buttons) {
      if (button.url) {
        const link = el("a", {
          class: "kb-button", href: button.url, target: "_blank", rel: "noopener noreferrer",
          "data-testid": "inline-button",
        }, `${button.text} ↗`);
        line.appendChild(link);
        continue;
      }
      const node = el("button", {
        type: "button", class: "kb-button", "data-testid": "inline-button",
        "data-callback": button.callback_data ?? "",
      }, button.text);
      if (button.callback_data === undefined) node.disabled = true;
      node.addEventListener("click", async () => {
        node.disabled = true;
        try {
          await post("/sandbox/api/press", {
            user_id: state.persona.user_id, message_id: message.message_id,
            callback_data: button.callback_data,
          });
        } catch (err) {
          toast(state, err.message, "error");
        } finally {
          node.disabled = false;
        }
      });
      line.appendChild(node);
    }
    keyboard.appendChild(line);
  }
  return keyboard;
}

function renderReplyKeyboard(state, markup) {
  state.keyboard.replaceChildren();
  if (!markup || !markup.keyboard) return;
  for (const buttons of markup.keyboard) {
    const line = el("div", { class: "kb-row" });
    for (const button of buttons) {
      const label = button.request_contact ? `📞 ${button.text}` : button.request_location ? `📍 ${button.text}` : button.text;
      const node = el("button", { type: "button", class: "kb-button", "data-testid": "reply-button" }, label);
      node.addEventListener("click", () => {
        const userId = state.persona.user_id;
        let action;
        if (button.request_contact) action = post("/sandbox/api/contact", { user_id: userId });
        else if (button.request_location) action = post("/sandbox/api/location", { user_id: userId });
        else action = post("/sandbox/api/send", { user_id: userId, text: button.text });
        action.catch((err) => toast(state, err.message, "error"));
      });
      line.appendChild(node);
    }
    state.keyboard.appendChild(line);
  }
}

function renderCommands(state, commands) {
  state.commands.replaceChildren(...commands.map((command) => {
    const node = el("button", { type: "button", class: "command" });
    node.appendChild(el("strong", {}, `/${command.command}`));
    node.appendChild(el("span", {}, command.description));
    node.addEventListener("click", () => {
      state.commands.hidden = true;
      sendText(state, `/${command.command}`);
    });
    return node;
  }));
  if (!commands.length) state.commands.hidden = true;
}

function toast(state, text, kind) {
  const node = el("div", { class: `toast ${kind}`, "data-testid": "toast", role: "status" }, text);
  state.toasts.appendChild(node);
  const close = () => node.remove();
  if (kind === "alert") {
    const ok = el("button", { type: "button" }, "OK · 확인");
    ok.addEventListener("click", close);
    node.appendChild(ok);
  } else {
    setTimeout(close, 3500);
  }
}

async function start() {
  const response = await fetch("/sandbox/api/personas");
  const data = await response.json();
  timeZone = data.time_zone;
  const picker = document.getElementById("persona-picker");
  for (const persona of data.personas) {
    personas.set(persona.key, persona);
    const option = el("option", { value: persona.key }, `${persona.name} — ${describe(persona)}`);
    picker.appendChild(option);
  }
  document.getElementById("add-column").addEventListener("click", () => addColumn(picker.value));
  for (const key of hashKeys() || defaultKeys(data.personas)) addColumn(key);
}

document.addEventListener("DOMContentLoaded", start);
