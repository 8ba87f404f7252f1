// Files on a ticket (docs/web.md, "Attachments"). Each chosen file goes straight from the
// browser to the bucket with a presigned POST that Balie hands out for exactly that file; the
// page then says it is sent, so the next page lists it. The CSP allows no inline script, so
// everything is wired here from data- attributes. Without JavaScript the file fields stay
// hidden and the page says how to send files by mail instead.
(function () {
  "use strict";

  var FORM = "application/x-www-form-urlencoded";

  function post(url, data) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": FORM, "X-Balie-Uploads": "1" },
      body: new URLSearchParams(data),
    });
  }

  function json(response) {
    return response.json().catch(function () { return {}; });
  }

  // One file: ask for a form, send the file to the bucket, say it is there.
  async function sendOne(uploads, token, file, failed) {
    var asked = await post(uploads, {
      csrf_token: token,
      filename: file.name,
      content_type: file.type || "application/octet-stream",
      size: String(file.size),
    });
    var granted = await json(asked);
    if (!asked.ok) throw new Error(granted.error || failed);
    var body = new FormData();
    Object.keys(granted.fields).forEach(function (name) { body.append(name, granted.fields[name]); });
    body.append("file", file); // S3 reads the fields first: the file must come last
    var sent = await fetch(granted.url, { method: "POST", body: body });
    if (!sent.ok) throw new Error(failed);
    var done = await post(uploads + "/" + encodeURIComponent(granted.id) + "/done", { csrf_token: token });
    if (!done.ok) throw new Error((await json(done)).error || failed);
  }

  // Every file in turn; returns the messages of those that failed.
  async function sendAll(uploads, token, files, status) {
    var problems = [];
    for (var i = 0; i < files.length; i++) {
      var file = files[i];
      status.textContent = status.dataset.sending.replace("%(name)s", file.name);
      try {
        await sendOne(uploads, token, file, status.dataset.failed);
      } catch (error) {
        problems.push(file.name + ": " + (error.message || status.dataset.failed));
      }
    }
    return problems;
  }

  function tokenOf(form) {
    return form.querySelector("input[name=csrf_token]").value;
  }

  // New ticket: file it first (the server answers with its number), then send the files.
  function newTicket(form) {
    var input = form.querySelector("[data-upload-input]");
    var status = form.querySelector("[data-upload-status]");
    form.addEventListener("submit", async function (event) {
      if (!input || !input.files.length) return; // no files: the ordinary form post
      event.preventDefault();
      var button = form.querySelector("button[type=submit]");
      if (button) button.disabled = true;
      var files = Array.prototype.slice.call(input.files);
      var data = new FormData(form);
      var filed = await post(form.action, data);
      if (filed.status !== 201) {
        // Not filed (a field to fix): the ordinary post shows the form with its errors.
        // Its nonce makes it file at most one ticket either way.
        input.value = "";
        form.submit();
        return;
      }
      var ticket = await json(filed);
      var problems = await sendAll(ticket.uploads, tokenOf(form), files, status);
      window.location.assign(ticket.location + (problems.length ? "?uploads=failed" : ""));
    });
  }

  // Ticket page: send the chosen files, then show the page again with them listed.
  function ticketPage(form) {
    var input = form.querySelector("[data-upload-input]");
    var status = form.querySelector("[data-upload-status]");
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      if (!input.files.length) return;
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      var files = Array.prototype.slice.call(input.files);
      var problems = await sendAll(form.dataset.uploads, tokenOf(form), files, status);
      if (!problems.length) {
        window.location.reload();
        return;
      }
      status.textContent = problems.join(" · ");
      button.disabled = false;
      input.value = "";
    });
  }

  function start() {
    if (!window.fetch || !window.FormData) return; // the mail note stays
    document.querySelectorAll("[data-upload-field], [data-upload-form]").forEach(function (el) {
      el.hidden = false;
    });
    document.querySelectorAll("[data-upload-fallback]").forEach(function (el) {
      el.hidden = true;
    });
    document.querySelectorAll("form[data-new-ticket]").forEach(newTicket);
    document.querySelectorAll("form[data-upload-form]").forEach(ticketPage);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
