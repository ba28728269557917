/**
 * /docs: a self-contained page (no external assets: operators' machines may
 * have no internet) that renders /openapi.json.
 */
export const DOCS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Joule API reference</title>
<style>
  :root { --fg:#1d2330; --muted:#5b6475; --line:#e3e6ec; --bg:#f7f8fa; --accent:#c0392b; }
  * { box-sizing: border-box; }
  body { margin:0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color:var(--fg); background:#fff; }
  header { padding: 20px 32px; border-bottom:1px solid var(--line); background:var(--bg); }
  header h1 { margin:0; font-size:22px; } header p { margin:6px 0 0; color:var(--muted); white-space:pre-wrap; }
  main { display:grid; grid-template-columns: 300px minmax(0, 1fr); }
  nav { border-right:1px solid var(--line); padding:16px; position:sticky; top:0; height:100vh; overflow:auto; }
  nav a { display:block; color:var(--fg); text-decoration:none; padding:3px 0; font-size:12px; white-space:nowrap; }
  nav h3 { font-size:12px; text-transform:uppercase; color:var(--muted); margin:14px 0 4px; }
  section.op { padding: 20px 32px; border-bottom:1px solid var(--line); }
  .m { display:inline-block; min-width:56px; text-align:center; font-weight:700; font-size:12px; border-radius:4px; padding:2px 6px; color:#fff; margin-right:8px; }
  .get { background:#2d7dd2; } .post { background:#2a9d5c; } .delete { background:#c0392b; } .put,.patch { background:#d68910; }
  code, pre { font: 13px/1.45 ui-monospace, SFMono-Regular, Menlo, monospace; }
  pre { background:var(--bg); border:1px solid var(--line); padding:10px; overflow:auto; border-radius:6px; }
  table { border-collapse: collapse; margin: 8px 0; } td, th { border:1px solid var(--line); padding:4px 8px; text-align:left; font-size:13px; vertical-align:top; }
  details summary { cursor:pointer; color:var(--muted); }
</style></head>
<body><header><h1>Joule API reference</h1><p id="intro">Loading /openapi.json…</p></header>
<main><nav id="nav"></nav><div id="ops"></div></main>
<script>
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
fetch('/openapi.json').then((r) => r.json()).then((doc) => {
  document.getElementById('intro').textContent = doc.info.description;
  const nav = document.getElementById('nav'), ops = document.getElementById('ops');
  const byTag = {};
  for (const [path, methods] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(methods)) {
    (byTag[(op.tags || ['other'])[0]] ||= []).push({ path, method, op });
  }
  let n = 0;
  for (const [tag, list] of Object.entries(byTag)) {
    nav.insertAdjacentHTML('beforeend', '<h3>' + esc(tag) + '</h3>');
    for (const { path, method, op } of list) {
      const id = 'op' + n++;
      nav.insertAdjacentHTML('beforeend', '<a href="#' + id + '"><span class="m ' + method + '">' + method.toUpperCase() + '</span>' + esc(path) + '</a>');
      const params = (op.parameters || []).map((p) => '<tr><td><code>' + esc(p.name) + '</code></td><td>' + p.in + '</td><td>' + (p.required ? 'yes' : '') + '</td><td><code>' + esc(JSON.stringify(p.schema)) + '</code> ' + esc(p.description || '') + '</td></tr>').join('');
      const body = op.requestBody && op.requestBody.content['application/json'];
      const url = 'http://localhost:8002' + path;
      const curl = 'curl -X ' + method.toUpperCase() + ' ' + url + (body ? " -H 'Content-Type: application/json' -d '" + JSON.stringify(body.example || {}) + "'" : '') + (op.security ? ' -H "Authorization: Bearer $ADMIN_TOKEN"' : '');
      const responses = Object.entries(op.responses).map(([status, r]) => {
        const [type, media] = Object.entries(r.content || {})[0] || [];
        return '<details><summary>' + esc(status) + ' — ' + esc(r.description) + (type && type !== 'application/json' ? ' (' + esc(type) + ')' : '') + '</summary>' +
          (media ? '<pre>' + esc(JSON.stringify(media.schema || {}, null, 2)) + '</pre>' : '') + '</details>';
      }).join('');
      ops.insertAdjacentHTML('beforeend', '<section class="op" id="' + id + '"><h2><span class="m ' + method + '">' + method.toUpperCase() + '</span><code>' + esc(path) + '</code></h2>' +
        '<p>' + esc(op.summary || '') + '</p>' + (op.description ? '<p>' + esc(op.description) + '</p>' : '') +
        (op.security ? '<p><strong>Needs the admin token.</strong></p>' : '') +
        (params ? '<table><tr><th>parameter</th><th>in</th><th>required</th><th>schema</th></tr>' + params + '</table>' : '') +
        (body ? '<h4>Body</h4><pre>' + esc(JSON.stringify(body.example || body.schema, null, 2)) + '</pre>' : '') +
        '<h4>Example</h4><pre>' + esc(curl) + '</pre><h4>Responses</h4>' + responses + '</section>');
    }
  }
  const codes = (doc['x-error-codes'] || []).map((e) => '<tr><td><code>' + esc(e.code) + '</code></td><td>' + e.status + '</td><td>' + esc(e.when) + '</td></tr>').join('');
  nav.insertAdjacentHTML('beforeend', '<h3>errors</h3><a href="#errors">error codes</a>');
  ops.insertAdjacentHTML('beforeend', '<section class="op" id="errors"><h2>Error codes</h2><p>Every error is <code>{"error":{"code","message"}}</code>.</p><table><tr><th>code</th><th>status</th><th>when</th></tr>' + codes + '</table></section>');
});
</script></body></html>`;
