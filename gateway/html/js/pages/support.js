// Support tickets: an employee opens and follows their own; an agent sees the tenant's.
import { api, describe, get, getAll, post } from "../api.js";
import { append, badge, busy, button, field, h, loading, section, statusLine, table } from "../dom.js";
import { t, tOr } from "../i18n.js";
import { dateTime, shortId } from "../format.js";
import { pagedList } from "./privacy.js";

const isAgent = (user) => user.roles.includes("support_agent");

export async function ticketsPage(body, ctx) {
  const wait = loading();
  append(body, [wait]);
  // The latest activity first, a page at a time: a "Show more" button while more follow.
  const tickets = pagedList("/api/tickets", (found) => (found.length
    ? table(t("tickets.caption"), [t("tickets.subject"), t("tickets.status"), t("tickets.updated")],
      found.map((tk) => [
        h("a", { href: `#/tickets/${encodeURIComponent(tk.id)}` }, tk.subject),
        badge(tOr(`ticketStatus.${tk.status}`, tk.status), tk.status === "resolved" || tk.status === "closed" ? "" : "warn"),
        dateTime(tk.updated_at),
      ]))
    : h("p", { class: "muted" }, t("tickets.none"))));
  try {
    await tickets.load();
  } catch (error) {
    wait.remove();
    append(body, [h("p", { class: "status error", role: "alert" }, describe(error))]);
    return;
  }
  if (!ctx.alive()) return;
  wait.remove();
  const parts = [section(isAgent(ctx.user) ? t("tickets.tenant") : t("tickets.mine"), tickets.box)];
  if (ctx.user.roles.includes("employee")) {
    const status = statusLine();
    const subject = field({ label: t("tickets.subject"), name: "subject", required: true, maxlength: 200 });
    const message = field({ label: t("tickets.message"), name: "message", type: "textarea", required: true, hint: t("tickets.messageHint") });
    const form = h("form", { class: "stack", novalidate: true }, subject.wrap, message.wrap,
      h("div", { class: "actions" }, button(t("tickets.open"), null, { type: "submit", kind: "primary" })), status.el);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const missing = [subject, message].find((f) => !f.input.value.trim());
      if (missing) {
        status.error(t("form.fillRequired"));
        missing.input.focus();
        return;
      }
      await busy(form, async () => {
        try {
          const ticket = await post("/api/tickets", { subject: subject.input.value.trim(), message: message.input.value.trim() });
          ctx.navigate(`/tickets/${ticket.id}`);
        } catch (error) {
          status.error(describe(error));
        }
      });
    });
    parts.unshift(section(t("tickets.new"), form));
  }
  append(body, parts);
}

export async function ticketPage(body, ctx) {
  const wait = loading();
  append(body, [wait]);
  let ticket;
  try {
    ticket = await get(`/api/tickets/${encodeURIComponent(ctx.params.id)}`);
    if (ticket.messages_next_cursor) {
      // A long conversation: the rest of it, every page, so that the answer follows it all.
      const rest = await getAll(`/api/tickets/${encodeURIComponent(ticket.id)}/messages`, { cursor: ticket.messages_next_cursor, limit: 500 });
      ticket.messages = [...ticket.messages, ...rest];
    }
  } catch (error) {
    wait.remove();
    append(body, [h("p", { class: "status error", role: "alert" }, describe(error)), h("p", {}, h("a", { href: "#/tickets" }, t("ticket.back")))]);
    return;
  }
  if (!ctx.alive()) return;
  wait.remove();
  ctx.setTitle(t("ticket.titleOf", { subject: ticket.subject }));
  const thread = h("ol", { class: "thread", "aria-label": t("ticket.messages") }, ticket.messages.map(messageItem));
  const status = statusLine();
  const reply = field({ label: t("ticket.reply"), name: "body", type: "textarea", required: true });
  const form = h("form", { class: "stack", novalidate: true }, reply.wrap,
    h("div", { class: "actions" }, button(t("ticket.send"), null, { type: "submit", kind: "primary" })), status.el);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!reply.input.value.trim()) {
      status.error(t("form.fillRequired"));
      reply.input.focus();
      return;
    }
    await busy(form, async () => {
      try {
        const message = await post(`/api/tickets/${encodeURIComponent(ticket.id)}/messages`, { body: reply.input.value.trim() });
        thread.append(messageItem(message));
        reply.input.value = "";
        status.ok(t("ticket.sent"));
      } catch (error) {
        status.error(describe(error));
      }
    });
  });
  const facts = h("p", {}, t("ticket.ref", { ref: shortId(ticket.id) }), " — ",
    badge(tOr(`ticketStatus.${ticket.status}`, ticket.status)), " — ", t("ticket.level", { level: ticket.level }), " — ", dateTime(ticket.created_at));
  const parts = [h("p", {}, h("a", { href: "#/tickets" }, t("ticket.back"))), facts, section(t("ticket.messages"), thread, form)];
  if (isAgent(ctx.user)) {
    const agentStatus = statusLine();
    const select = field({ label: t("tickets.status"), name: "status", type: "select", value: ticket.status,
      options: ["open", "pending", "resolved", "closed"].map((s) => [s, t(`ticketStatus.${s}`)]) });
    const update = h("form", { class: "row", novalidate: true }, select.wrap, button(t("common.save"), null, { type: "submit", kind: "secondary" }), agentStatus.el);
    update.addEventListener("submit", async (event) => {
      event.preventDefault();
      await busy(update, async () => {
        try {
          await api("PATCH", `/api/tickets/${encodeURIComponent(ticket.id)}`, { json: { status: select.input.value } });
          agentStatus.ok(t("common.saved"));
        } catch (error) {
          agentStatus.error(describe(error));
        }
      });
    });
    parts.push(section(t("ticket.handle"), update));
  }
  append(body, parts);
}

function messageItem(m) {
  const mine = m.author_role === "requester";
  return h("li", { class: mine ? "msg mine" : "msg" },
    h("p", { class: "meta" }, tOr(`author.${m.author_role}`, m.author_role), " — ", dateTime(m.created_at)),
    h("p", { class: "pre" }, m.body));
}
