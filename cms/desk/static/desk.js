/* The review desk. Plain JavaScript, no build step: it talks to /api/v1 with the
 * signed-in user's bearer token, kept in sessionStorage (this tab only, gone when
 * it closes) and sent in the Authorization header, so no cookie carries it and no
 * other site can make the browser use it (no CSRF). See docs/desk.md. */
"use strict";

const TOKEN_KEY = "cms.desk.token";
const USER_KEY = "cms.desk.user";
const API = "/api/v1";
const MINUS = "\u2212";

const ACTIONS = {
  approve: { label: "Approve", send: "Send approval" },
  reject: { label: "Reject", send: "Send rejection" },
  publish: { label: "Publish", send: "Publish now" },
  schedule: { label: "Schedule", send: "Schedule publication" },
  unschedule: { label: "Unschedule", send: "Cancel the schedule" },
  withdraw: { label: "Withdraw", send: "Withdraw story" },
};

/* ---- small helpers ---------------------------------------------------- */

function $(selector, root = document) {
  return root.querySelector(selector);
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

function me() {
  try {
    return JSON.parse(sessionStorage.getItem(USER_KEY) || "null");
  } catch (_error) {
    return null;
  }
}

function goToSignIn() {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(USER_KEY);
  const next = location.pathname + location.search;
  location.assign(`/desk/signin?next=${encodeURIComponent(next)}`);
}

class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

/* One call to the API. Writes name the revision on screen with If-Match; a
 * refusal is thrown as an ApiError and never retried. */
async function api(method, path, { body, etag, accept, keepalive } = {}) {
  const headers = { Accept: accept || "application/json" };
  const auth = token();
  if (auth) headers.Authorization = `Bearer ${auth}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (etag) headers["If-Match"] = etag;
  const response = await fetch(API + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    keepalive: Boolean(keepalive),
  });
  const type = response.headers.get("Content-Type") || "";
  let data = null;
  if (response.status !== 204) {
    data = type.includes("json") ? await response.json() : await response.text();
  }
  if (response.status === 401 && path !== "/auth/tokens") {
    goToSignIn();
    throw new ApiError(401, data);
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return { data, etag: response.headers.get("ETag"), status: response.status };
}

const AP_MONTHS = [
  "Jan.", "Feb.", "March", "April", "May", "June",
  "July", "Aug.", "Sept.", "Oct.", "Nov.", "Dec.",
];

/* A moment as the API's display stamps show it, AP style, in the newsroom's zone
 * (CMS_TIMEZONE, which the page carries): "Nov. 25, 2026, 1:42 p.m. EST". */
function formatTime(iso, timeZone = document.body.dataset.timezone || "UTC") {
  if (!iso) return "";
  let parts;
  try {
    parts = new Intl.DateTimeFormat("en-US", {
      year: "numeric", month: "numeric", day: "numeric", hour: "numeric",
      minute: "2-digit", hourCycle: "h23", timeZoneName: "short", timeZone,
    }).formatToParts(new Date(iso));
  } catch (_error) {
    return new Date(iso).toISOString();
  }
  const part = (type) => (parts.find((p) => p.type === type) || {}).value;
  const hour = Number(part("hour")) % 24;
  const minute = Number(part("minute"));
  let clock;
  if (hour === 12 && minute === 0) clock = "noon";
  else if (hour === 0 && minute === 0) clock = "midnight";
  else {
    clock = String(hour % 12 || 12) + (minute ? `:${part("minute")}` : "");
    clock += hour < 12 ? " a.m." : " p.m.";
  }
  const month = AP_MONTHS[Number(part("month")) - 1];
  return `${month} ${part("day")}, ${part("year")}, ${clock} ${part("timeZoneName")}`;
}

function statusLabel(status) {
  return {
    draft: "Draft", in_review: "In review", approved: "Approved",
    published: "Published", withdrawn: "Killed",
  }[status] || status;
}

/* ---- the masthead --------------------------------------------------- */

function initMasthead() {
  const user = me();
  const nav = $(".account");
  if (!user || !nav) return;
  $(".whoami", nav).textContent = `Signed in as ${user.name} (${user.role})`;
  nav.hidden = false;
  $(".signout", nav).addEventListener("click", async () => {
    try {
      await api("DELETE", "/auth/tokens/current");
    } catch (_error) {
      /* signed out here whatever the server says */
    }
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(USER_KEY);
    location.assign("/desk/signin");
  });
}

/* ---- sign in ------------------------------------------------------------ */

function initSignIn() {
  const form = $(".signin-form");
  const error = $(".form-error", form);
  $("#email").focus();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    const email = form.email.value.trim();
    const password = form.password.value;
    if (!email || !password) {
      error.textContent = "Enter your email and password.";
      return;
    }
    const button = $("button[type=submit]", form);
    button.disabled = true;
    try {
      const { data } = await api("POST", "/auth/tokens", { body: { email, password } });
      sessionStorage.setItem(TOKEN_KEY, data.token);
      const user = await api("GET", "/auth/me");
      sessionStorage.setItem(USER_KEY, JSON.stringify(user.data));
      const next = new URLSearchParams(location.search).get("next") || "";
      location.assign(next.startsWith("/desk/") ? next : "/desk/");
    } catch (failure) {
      error.textContent =
        failure.status === 401
          ? "Wrong email or password, or the account is inactive."
          : failure.message;
      button.disabled = false;
      form.password.focus();
    }
  });
}

/* ---- the queue ------------------------------------------------------- */

function storyItem(item) {
  const meta = [statusLabel(item.status)];
  if (item.section) meta.push(item.section);
  if (item.byline_text) meta.push(item.byline_text);
  if (item.scheduled_publish_at) meta.push(`scheduled ${formatTime(item.scheduled_publish_at)}`);
  if (item.embargo_until) meta.push(`embargoed until ${formatTime(item.embargo_until)}`);
  meta.push(`revision ${item.revision}`);
  return el(
    "li",
    { class: "story" },
    el("a", { href: `/desk/stories/${item.id}`, text: item.headline }),
    el("span", { class: "meta", text: meta.join(" · ") })
  );
}

function fillList(list, items, emptyText) {
  list.replaceChildren(...items.map(storyItem));
  if (!items.length) list.append(el("li", { class: "empty", text: emptyText }));
}

async function listArticles(query) {
  const { data } = await api("GET", `/articles?${new URLSearchParams(query)}`);
  return data;
}

async function loadQueue() {
  const now = Date.now();
  const [review, approved, published, withdrawn] = await Promise.all([
    listArticles({ status: "in_review", limit: 100 }),
    listArticles({ status: "approved", limit: 100 }),
    listArticles({ status: "published", limit: 100 }),
    listArticles({ status: "withdrawn", limit: 20 }),
  ]);
  const approvedItems = approved.items.filter((a) => !a.scheduled_publish_at);
  const scheduledItems = approved.items.filter((a) => a.scheduled_publish_at);
  const live = published.items;
  const embargoed = [...live, ...approved.items].filter(
    (a) => a.embargo_until && Date.parse(a.embargo_until) > now
  );
  const recent = live.filter((a) => !embargoed.includes(a)).slice(0, 20);
  const sections = {
    in_review: [review.items, "Nothing waits for review."],
    approved: [approvedItems, "Nothing approved waits for publication."],
    scheduled: [scheduledItems, "Nothing is scheduled."],
    embargoed: [embargoed, "Nothing is under embargo."],
    published: [recent, "Nothing published yet."],
    withdrawn: [withdrawn.items, "Nothing was killed."],
  };
  for (const [key, [items, empty]] of Object.entries(sections)) {
    const section = $(`[data-queue="${key}"]`);
    $(".count", section).textContent = `(${items.length})`;
    fillList($(".stories", section), items, empty);
  }
}

function initQueue() {
  const status = $(".status-line");
  const form = $(".search");
  const results = $(".search-results");
  const more = $(".more-results");
  const clear = $(".clear-search");
  let cursor = null;
  let lastQuery = "";

  /* Full-text search, best match first; {items, next_cursor} pages by cursor. */
  async function search(query, after) {
    const params = { q: query, limit: 50 };
    if (after) params.cursor = after;
    const data = await listArticles(params);
    const items = data.items;
    return { items, next: data.next_cursor || null };
  }

  async function run(append) {
    const list = $(".stories", results);
    try {
      const { items, next } = await search(lastQuery, append ? cursor : null);
      cursor = next;
      if (append) list.append(...items.map(storyItem));
      else fillList(list, items, `No story matches “${lastQuery}”.`);
      results.hidden = false;
      clear.hidden = false;
      more.hidden = !cursor;
      const shown = list.querySelectorAll("li.story").length;
      status.textContent = `${shown} ${shown === 1 ? "story matches" : "stories match"} “${lastQuery}”.`;
    } catch (failure) {
      status.textContent = `Search failed: ${failure.message}`;
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    lastQuery = form.q.value.trim();
    if (!lastQuery) return clear.click();
    run(false);
  });
  more.addEventListener("click", () => run(true));
  clear.addEventListener("click", () => {
    form.q.value = "";
    results.hidden = true;
    clear.hidden = true;
    status.textContent = "";
    form.q.focus();
  });
  loadQueue().catch((failure) => {
    status.textContent = `The queue could not be loaded: ${failure.message}`;
  });
}

/* ---- a story ------------------------------------------------------------ */

const story = {
  id: null,
  article: null,
  etag: null,
  revisions: [],
  allowed: [],
  timer: null,
};

function showProblem(...nodes) {
  const box = $(".problem");
  box.replaceChildren(...nodes);
  box.hidden = nodes.length === 0;
  if (nodes.length) box.focus();
}

function renderReader(article) {
  $(".story-state").textContent =
    `${statusLabel(article.status)} · revision ${article.revision}` +
    (article.live ? ` · live: version ${article.live.number} (revision ${article.live.revision})` : "") +
    (article.approved_revision ? ` · approved: revision ${article.approved_revision}` : "");
  $("#headline").textContent = article.headline;
  document.title = `${article.headline} · Review desk`;
  const deck = $(".deck");
  deck.textContent = article.deck || "";
  deck.hidden = !article.deck;
  const byline = $(".byline");
  byline.replaceChildren();
  if (article.byline_text) byline.append(el("span", { class: "byline-text", text: article.byline_text }));
  const stamps = $(".stamps");
  stamps.replaceChildren();
  const shown = [
    ["Created", article.display.created_at],
    ["Last edited", article.display.updated_at],
    ["First published", article.display.first_published_at],
    ["Last updated", article.display.last_updated_at],
  ];
  if (article.scheduled_publish_at) shown.push(["Scheduled", formatTime(article.scheduled_publish_at)]);
  if (article.live && article.live.embargo_until) shown.push(["Embargoed until", formatTime(article.live.embargo_until)]);
  for (const [label, value] of shown) {
    if (value) stamps.append(el("div", {}, el("dt", { text: label }), el("dd", { text: value })));
  }
  const body = $(".story-body");
  body.innerHTML = article.body_html; // rendered and sanitised by the server (nh3)
  const dateline = article.dateline && article.dateline.text;
  const first = body.querySelector("p");
  if (dateline && first) first.prepend(el("span", { class: "dateline", text: dateline }), " ");
  else if (dateline) body.prepend(el("p", { class: "dateline", text: dateline }));
}

function revisionLabel(revision) {
  const parts = [`Revision ${revision.number}`, revision.author.name, formatTime(revision.created_at)];
  if (revision.message) parts.push(`“${revision.message}”`);
  return parts.join(" · ");
}

function renderHistory() {
  const list = $(".revision-list");
  list.replaceChildren(
    ...story.revisions.map((revision) => {
      const flags = [];
      if (story.article.live && story.article.live.revision === revision.number) flags.push("live");
      if (story.article.approved_revision === revision.number) flags.push("approved");
      if (revision.number === story.article.revision) flags.push("head");
      return el(
        "li",
        { value: revision.number },
        el("strong", { text: `Revision ${revision.number}` }),
        flags.length ? el("span", { class: "flags", text: ` (${flags.join(", ")})` }) : null,
        el("br"),
        el("span", { text: `${revision.author.name}, ${formatTime(revision.created_at)}` }),
        revision.message ? el("q", { class: "message", text: revision.message }) : null,
        el("span", { class: "summary", text: revision.summary })
      );
    })
  );
}

function defaultComparison() {
  const head = story.article.revision;
  if (story.article.live && story.article.live.revision !== head) {
    return [story.article.live.revision, head];
  }
  return [Math.max(head - 1, 1), head];
}

function fillCompareForm() {
  const [from, to] = defaultComparison();
  for (const [select, chosen] of [[$("#from-rev"), from], [$("#to-rev"), to]]) {
    select.replaceChildren(
      ...story.revisions.map((r) =>
        el("option", { value: r.number, selected: r.number === chosen }, revisionLabel(r))
      )
    );
  }
}

async function loadDiff() {
  const form = $(".compare-form");
  const view = $(".diff-view");
  const params = new URLSearchParams({
    from: form.from.value,
    to: form.to.value,
    format: "html",
    layout: form.layout.value,
    context: form.context.value,
  });
  view.setAttribute("aria-busy", "true");
  try {
    const { data } = await api("GET", `/articles/${story.id}/diff?${params}`, { accept: "text/html" });
    view.innerHTML = data; // the API's fragment: every text escaped
    flagNotes();
    $(".note-anchor").textContent = `Notes are attached to revision ${form.to.value}.`;
  } catch (failure) {
    view.replaceChildren(el("p", { class: "form-error", text: `The diff could not be loaded: ${failure.message}` }));
  } finally {
    view.removeAttribute("aria-busy");
  }
}

/* ---- actions ------------------------------------------------------------ */

function field(id, label, control) {
  control.id = id;
  return el("p", { class: "field" }, el("label", { for: id, text: label }), control);
}

function actionFields(action) {
  const fields = [];
  if (action === "approve") {
    fields.push(field("action-comment", "Comment (optional)", el("textarea", { name: "comment", rows: 2 })));
  }
  if (action === "reject" || action === "withdraw") {
    const hint = action === "withdraw" ? "Reason (told to partners)" : "Reason";
    fields.push(field("action-reason", hint, el("textarea", { name: "reason", rows: 2, required: true })));
  }
  if (action === "unschedule") {
    fields.push(field("action-reason", "Reason (optional)", el("textarea", { name: "reason", rows: 2 })));
  }
  if (action === "publish" || action === "schedule") {
    if (story.article.live) {
      const kind = el(
        "select",
        { name: "kind" },
        el("option", { value: "update" }, "Update"),
        el("option", { value: "minor" }, "Minor (typo; leaves Last Updated alone)"),
        el("option", { value: "correction" }, "Correction (needs a note)")
      );
      fields.push(field("action-kind", "Kind", kind));
      fields.push(field("action-note", "Note (the correction's text, shown to readers)", el("textarea", { name: "note", rows: 2 })));
    } else {
      fields.push(el("p", { class: "hint", text: "First publication." }));
    }
  }
  if (action === "schedule") {
    fields.push(field("action-when", "Publish at (your computer's local time)", el("input", { name: "publish_at", type: "datetime-local", required: true })));
  }
  return fields;
}

function actionBody(action, form) {
  const body = {};
  const value = (name) => (form[name] ? form[name].value.trim() : "");
  if (action === "approve" && value("comment")) body.comment = value("comment");
  if (action === "reject" || action === "withdraw") body.reason = value("reason");
  if (action === "unschedule" && value("reason")) body.reason = value("reason");
  if (action === "publish" || action === "schedule") {
    if (form.kind) body.kind = form.kind.value;
    if (value("note")) body.note = value("note");
  }
  if (action === "schedule" && value("publish_at")) {
    body.publish_at = new Date(value("publish_at")).toISOString();
  }
  return body;
}

function actionProblem(action, form) {
  if ((action === "reject" || action === "withdraw") && !form.reason.value.trim()) return "Give a reason.";
  if (form.kind && form.kind.value === "correction" && !form.note.value.trim()) return "A correction needs a note.";
  if (action === "schedule" && !form.publish_at.value) return "Say when to publish.";
  return null;
}

function openAction(action) {
  const holder = $(".action-form");
  const buttons = $(".action-buttons");
  for (const button of buttons.querySelectorAll("button")) {
    button.setAttribute("aria-expanded", String(button.dataset.action === action));
  }
  const error = el("div", { class: "form-error", role: "alert" });
  const send = el("button", { type: "submit", class: "primary" }, ACTIONS[action].send);
  const cancel = el("button", { type: "button" }, "Cancel");
  const form = el(
    "form",
    { class: "card", "aria-label": `${ACTIONS[action].label} revision ${story.article.revision}` },
    el("p", { class: "hint", text: `Revision ${story.article.revision}, as on screen.` }),
    ...actionFields(action),
    el("p", { class: "buttons" }, send, " ", cancel),
    error
  );
  cancel.addEventListener("click", () => {
    holder.replaceChildren();
    const opener = buttons.querySelector(`[data-action="${action}"]`);
    if (opener) {
      opener.setAttribute("aria-expanded", "false");
      opener.focus();
    }
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const problem = actionProblem(action, form);
    if (problem) {
      error.textContent = problem;
      return;
    }
    send.disabled = true;
    takeAction(action, actionBody(action, form)).finally(() => {
      send.disabled = false;
    });
  });
  holder.replaceChildren(form);
  const first = form.querySelector("textarea, select, input, button");
  if (first) first.focus();
}

function renderActions() {
  const buttons = $(".action-buttons");
  const shown = story.allowed.filter((action) => action in ACTIONS);
  buttons.replaceChildren(
    ...shown.map((action) =>
      el("button", {
        type: "button",
        "data-action": action,
        "aria-expanded": "false",
        "aria-controls": "action-form",
        onclick: () => openAction(action),
      }, ACTIONS[action].label)
    )
  );
  $(".action-form").id = "action-form";
  $(".actions-none").hidden = shown.length > 0;
}

async function takeAction(action, body) {
  const result = $(".action-result");
  result.textContent = "";
  try {
    const { data, etag } = await api("POST", `/articles/${story.id}/${action}`, { body, etag: story.etag });
    story.article = data;
    story.etag = etag;
    $(".action-form").replaceChildren();
    showProblem();
    await refreshStory();
    result.textContent = `${ACTIONS[action].label}: done. The story is now ${statusLabel(data.status).toLowerCase()}.`;
  } catch (failure) {
    if (failure.status === 412) await explainStale(failure);
    else if (failure.status === 409) explainConflict(failure);
    else if (failure.status !== 401) {
      showProblem(el("h2", { text: `${ACTIONS[action].label} was refused` }), el("p", { text: failure.message }));
    }
  }
}

/* 412: the story changed under the editor. Say so, show what changed, and let
 * them look before anything is sent again: nothing is retried. */
async function explainStale(failure) {
  const onScreen = story.article.revision;
  const heading = el("h2", { text: "This story changed since you opened it" });
  const intro = el("p", {
    text: `You were looking at revision ${onScreen}` +
      (failure.problem.current_revision ? `; the story is now at revision ${failure.problem.current_revision}.` : ".") +
      " Nothing was sent again. Review what changed, then reload the story to act on it.",
  });
  const changes = el("div", { class: "stale-diff" });
  const reload = el("button", { type: "button", class: "primary" }, "Reload the story");
  reload.addEventListener("click", async () => {
    showProblem();
    $(".action-form").replaceChildren();
    await refreshStory();
    $("#headline").focus();
  });
  $(".action-form").replaceChildren(); // its form was for the revision that is gone
  showProblem(heading, intro, changes, el("p", {}, reload));
  try {
    const head = (await api("GET", `/articles/${story.id}`)).data;
    if (head.revision !== onScreen) {
      const params = new URLSearchParams({ from: onScreen, to: head.revision, format: "html", layout: "inline", context: "1" });
      const { data } = await api("GET", `/articles/${story.id}/diff?${params}`, { accept: "text/html" });
      changes.innerHTML = data;
    } else {
      changes.replaceChildren(el("p", {
        text: `The text is unchanged; its state changed: it is now ${statusLabel(head.status).toLowerCase()}.`,
      }));
    }
  } catch (_error) {
    changes.replaceChildren(el("p", { text: "What changed could not be loaded." }));
  }
}

/* 409: not possible in the story's state; say what is allowed now. */
function explainConflict(failure) {
  const allowed = (failure.problem.allowed_actions || []).filter((a) => a in ACTIONS);
  story.allowed = failure.problem.allowed_actions || [];
  renderActions();
  $(".action-form").replaceChildren();
  const now = allowed.length
    ? `Allowed now: ${allowed.map((a) => ACTIONS[a].label).join(", ")}.`
    : "No action is allowed on this story now.";
  showProblem(
    el("h2", { text: "Not possible in the story's state" }),
    el("p", { text: failure.message }),
    el("p", { class: "allowed-now", text: now })
  );
}

/* ---- notes -------------------------------------------------------------- */

function renderNotes(notes) {
  const list = $(".note-list");
  list.replaceChildren(
    ...notes.map((note) => {
      const about = [];
      if (note.revision) about.push(`revision ${note.revision}`);
      if (note.paragraph) about.push(`paragraph ${note.paragraph}`);
      return el(
        "li",
        { class: "note" },
        el("p", { class: "note-meta" },
          el("strong", { text: note.author.name }), ", ",
          formatTime(note.created_at),
          about.length ? ` · on ${about.join(", ")}` : ""),
        el("p", { class: "note-body", text: note.body })
      );
    })
  );
  if (!notes.length) list.append(el("li", { class: "empty", text: "No notes yet." }));
}

/* Beside the diff: a paragraph of the new side that has notes says so. */
function flagNotes() {
  const to = Number($("#to-rev").value);
  for (const flag of document.querySelectorAll(".diff-view .note-flag")) flag.remove();
  const counts = new Map();
  for (const note of story.notes || []) {
    if (note.revision === to && note.paragraph) {
      counts.set(note.paragraph, (counts.get(note.paragraph) || 0) + 1);
    }
  }
  for (const [paragraph, count] of counts) {
    const target = document.querySelector(
      `.diff-view [data-new="${paragraph}"]:not(.diff-cell-old)`
    );
    if (target) {
      target.prepend(el("span", { class: "note-flag", text: `${count} ${count === 1 ? "note" : "notes"}` }), " ");
    }
  }
}

async function loadNotes() {
  const { data } = await api("GET", `/articles/${story.id}/notes`);
  story.notes = data.items;
  renderNotes(data.items);
  flagNotes();
}

function initNotes() {
  const form = $(".note-form");
  const error = $(".form-error", form);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    const body = { body: form.body.value.trim() };
    if (!body.body) {
      error.textContent = "Write the note first.";
      return;
    }
    body.revision = Number($("#to-rev").value) || story.article.revision;
    if (form.paragraph.value) body.paragraph = Number(form.paragraph.value);
    try {
      await api("POST", `/articles/${story.id}/notes`, { body });
      form.reset();
      await loadNotes();
    } catch (failure) {
      error.textContent = failure.message;
    }
  });
}

/* ---- presence ----------------------------------------------------------- */

function renderPresence(data) {
  const self = me();
  const others = data.items.filter((entry) => !self || entry.user.id !== self.id);
  $(".presence").textContent = others
    .map((entry) => `${entry.user.name} is ${entry.activity} (since ${entry.since_display})`)
    .join(" · ");
}

async function renewPresence() {
  try {
    const { data } = await api("PUT", `/articles/${story.id}/presence`, { body: { activity: "editing" } });
    renderPresence(data);
  } catch (_error) {
    /* advisory: a missed renewal only hides us from the others for a while */
  }
}

function initPresence() {
  renewPresence();
  story.timer = setInterval(renewPresence, 20000);
  window.addEventListener("pagehide", () => {
    clearInterval(story.timer);
    const auth = token();
    if (!auth) return;
    fetch(`${API}/articles/${story.id}/presence`, {
      method: "DELETE",
      headers: { Authorization: `Bearer ${auth}` },
      keepalive: true,
    }).catch(() => {});
  });
}

/* ---- the story page ------------------------------------------------------ */

async function refreshStory() {
  const [article, revisions, allowed] = await Promise.all([
    api("GET", `/articles/${story.id}`),
    api("GET", `/articles/${story.id}/revisions?limit=100`),
    api("GET", `/articles/${story.id}/actions`),
  ]);
  story.article = article.data;
  story.etag = article.etag;
  story.revisions = revisions.data.items;
  story.allowed = allowed.data.allowed_actions;
  renderReader(story.article);
  renderHistory();
  renderActions();
  fillCompareForm();
  await loadDiff();
}

function initStory() {
  story.id = Number(document.body.dataset.articleId);
  $(".compare-form").addEventListener("submit", (event) => {
    event.preventDefault();
    loadDiff();
  });
  for (const radio of document.querySelectorAll(".compare-form input[name=layout]")) {
    radio.addEventListener("change", loadDiff);
  }
  initNotes();
  refreshStory()
    .then(() => {
      initPresence();
      return loadNotes();
    })
    .catch((failure) => {
      if (failure.status === 404) {
        showProblem(el("h2", { text: "No such story" }), el("p", { text: failure.message }));
      } else if (failure.status !== 401) {
        showProblem(el("h2", { text: "The story could not be loaded" }), el("p", { text: failure.message }));
      }
    });
}

/* ---- start ---------------------------------------------------------------- */

document.addEventListener("DOMContentLoaded", () => {
  const page = document.body.dataset.page;
  if (page === "signin") {
    initSignIn();
    return;
  }
  if (!token()) {
    goToSignIn();
    return;
  }
  initMasthead();
  if (page === "queue") initQueue();
  if (page === "story") initStory();
});
