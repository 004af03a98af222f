import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `GET /openapi.json` (the OpenAPI 3.1 document) and `GET /docs` (a self-contained page
/// that renders it: no external scripts, styles or fonts).
struct DocumentationRoutes {
    func add(to router: Router<AppRequestContext>) {
        router.get("/openapi.json") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-cache"],
                     body: .init(byteBuffer: ByteBuffer(bytes: OpenAPIDocument.json)))
        }
        router.get("/docs") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-cache"],
                     body: .init(byteBuffer: ByteBuffer(string: DocumentationPage.html)))
        }
    }
}

/// The `/docs` page: fetches `/openapi.json` and lists the operations by tag, with their
/// parameters, request bodies and responses (schemas expanded inline, `$ref`s followed).
enum DocumentationPage {
    static let html = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Tenda API</title>
    <style>
    body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1d232a; background: #f6f7f9; }
    header { background: #1d3557; color: #fff; padding: 1rem 2rem; }
    header h1 { margin: 0; font-size: 1.4rem; }
    main { max-width: 70rem; margin: 0 auto; padding: 1rem 2rem 4rem; }
    nav a { margin-right: .8rem; }
    h2 { margin-top: 2rem; border-bottom: 2px solid #d0d7de; padding-bottom: .2rem; }
    details.op { background: #fff; border: 1px solid #d0d7de; border-radius: 6px; margin: .4rem 0; }
    details.op > summary { cursor: pointer; padding: .5rem .8rem; list-style: none; display: flex; gap: .8rem; align-items: baseline; }
    details.op[open] > summary { border-bottom: 1px solid #d0d7de; }
    .body { padding: .6rem 1rem 1rem; }
    .m { font: bold 12px monospace; color: #fff; border-radius: 4px; padding: .15rem .45rem; min-width: 3.6rem; text-align: center; }
    .GET { background: #2a7ab0; } .POST { background: #2f9e44; } .PATCH { background: #c77c02; } .PUT { background: #8a5cd0; } .DELETE { background: #c92a2a; }
    .path { font-family: monospace; font-weight: 600; }
    .who { margin-left: auto; color: #57606a; font-size: .85rem; }
    table { border-collapse: collapse; margin: .3rem 0 .8rem; width: 100%; }
    th, td { text-align: left; border-bottom: 1px solid #eaeef2; padding: .25rem .5rem; vertical-align: top; font-size: .9rem; }
    code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .85rem; }
    pre { background: #f6f8fa; border: 1px solid #eaeef2; padding: .5rem; overflow-x: auto; margin: .2rem 0 .6rem; }
    .s2 { color: #2f9e44; font-weight: bold; } .s4 { color: #c92a2a; font-weight: bold; } .s1 { color: #2a7ab0; font-weight: bold; } .s5 { color: #862e9c; font-weight: bold; }
    .muted { color: #57606a; }
    #error { color: #c92a2a; }
    </style>
    </head>
    <body>
    <header><h1 id="title">Tenda API</h1><div id="subtitle">Loading /openapi.json …</div></header>
    <main>
    <p id="error"></p>
    <div id="intro"></div>
    <nav id="nav"></nav>
    <div id="ops"></div>
    </main>
    <script>
    "use strict";
    (function () {
      var doc = null;
      function el(tag, attrs, children) {
        var node = document.createElement(tag);
        if (attrs) for (var k in attrs) { if (k === "text") node.textContent = attrs[k]; else node.setAttribute(k, attrs[k]); }
        (children || []).forEach(function (c) { if (c != null) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
        return node;
      }
      function resolve(obj) {
        var seen = 0;
        while (obj && obj.$ref && seen++ < 20) {
          var parts = obj.$ref.replace(/^#\//, "").split("/");
          var target = doc;
          parts.forEach(function (p) { target = target ? target[p] : undefined; });
          obj = target;
        }
        return obj || {};
      }
      function refName(obj) { return obj && obj.$ref ? obj.$ref.split("/").pop() : null; }
      // A schema as a JSON-like sketch: {"id": string, "lines": [SaleLine], ...}
      function sketch(schema, depth, seen) {
        seen = seen || [];
        var name = refName(schema);
        if (name) {
          if (seen.indexOf(name) >= 0 || depth > 3) return name;
          return sketch(resolve(schema), depth, seen.concat([name]));
        }
        var type = Array.isArray(schema.type) ? schema.type.join("|") : schema.type;
        var pad = new Array(depth + 2).join("  ");
        if (schema.type === "array") return "[" + sketch(schema.items || {}, depth, seen) + "]";
        if (schema.type === "object" && schema.properties) {
          var req = schema.required || [];
          var lines = Object.keys(schema.properties).map(function (key) {
            return pad + JSON.stringify(key) + (req.indexOf(key) >= 0 ? "" : "?") + ": " + sketch(schema.properties[key], depth + 1, seen);
          });
          return "{\n" + lines.join(",\n") + "\n" + new Array(depth + 1).join("  ") + "}";
        }
        var text = type || "any";
        if (schema.format) text += " (" + schema.format + ")";
        if (schema.enum) text += " " + schema.enum.join("|");
        return text;
      }
      function parametersTable(params) {
        if (!params || !params.length) return null;
        var rows = params.map(function (p) {
          p = resolve(p);
          var schema = resolve(p.schema || {});
          return el("tr", null, [el("td", null, [el("code", { text: p.name })]), el("td", { text: p.in + (p.required ? ", required" : "") }),
            el("td", { text: sketch(schema, 0) }), el("td", { text: p.description || "" })]);
        });
        return el("table", null, [el("tr", null, [el("th", { text: "parameter" }), el("th", { text: "in" }), el("th", { text: "type" }), el("th", { text: "description" })])].concat(rows));
      }
      function content(c) {
        if (!c) return [];
        return Object.keys(c).map(function (type) {
          return el("div", null, [el("span", { class: "muted", text: type }), el("pre", { text: sketch(c[type].schema || {}, 0) })]);
        });
      }
      function operation(path, method, op) {
        var body = el("div", { class: "body" });
        if (op.description) op.description.split("\n\n").forEach(function (para) { body.appendChild(el("p", { text: para.replace(/\*\*/g, "") })); });
        var params = parametersTable(op.parameters);
        if (params) { body.appendChild(el("h4", { text: "Parameters" })); body.appendChild(params); }
        if (op.requestBody) {
          var rb = resolve(op.requestBody);
          body.appendChild(el("h4", { text: "Request body" + (rb.required ? " (required)" : " (optional)") }));
          content(rb.content).forEach(function (n) { body.appendChild(n); });
        }
        body.appendChild(el("h4", { text: "Responses" }));
        Object.keys(op.responses || {}).sort().forEach(function (status) {
          var r = resolve(op.responses[status]);
          var cls = "s" + status.charAt(0);
          body.appendChild(el("div", null, [el("span", { class: cls, text: status }), " ", r.description || ""]));
          if (status.charAt(0) === "2" || status.charAt(0) === "1") content(r.content).forEach(function (n) { body.appendChild(n); });
        });
        return el("details", { class: "op", id: op.operationId }, [
          el("summary", null, [el("span", { class: "m " + method.toUpperCase(), text: method.toUpperCase() }), el("span", { class: "path", text: path }),
            el("span", { text: op.summary || "" }), el("span", { class: "who", text: op["x-access"] || "" })]),
          body]);
      }
      function render() {
        document.getElementById("title").textContent = doc.info.title + " " + doc.info.version;
        document.getElementById("subtitle").textContent = "OpenAPI " + doc.openapi + " — raw document: /openapi.json";
        var intro = document.getElementById("intro");
        (doc.info.description || "").split("\n\n").forEach(function (para) { intro.appendChild(el("p", { text: para })); });
        intro.appendChild(el("h4", { text: "Error body (every 4xx and 5xx)" }));
        intro.appendChild(el("pre", { text: sketch({ $ref: "#/components/schemas/Error" }, 0) }));
        var groups = {};
        var order = (doc.tags || []).map(function (t) { return t.name; });
        Object.keys(doc.paths).sort().forEach(function (path) {
          ["get", "post", "put", "patch", "delete"].forEach(function (method) {
            var op = doc.paths[path][method];
            if (!op) return;
            var tag = (op.tags && op.tags[0]) || "Other";
            if (order.indexOf(tag) < 0) order.push(tag);
            (groups[tag] = groups[tag] || []).push(operation(path, method, op));
          });
        });
        var nav = document.getElementById("nav"), ops = document.getElementById("ops");
        order.forEach(function (tag) {
          if (!groups[tag]) return;
          var info = (doc.tags || []).filter(function (t) { return t.name === tag; })[0];
          nav.appendChild(el("a", { href: "#tag-" + tag, text: tag }));
          ops.appendChild(el("h2", { id: "tag-" + tag, text: tag }));
          if (info && info.description) ops.appendChild(el("p", { class: "muted", text: info.description }));
          groups[tag].forEach(function (n) { ops.appendChild(n); });
        });
      }
      fetch("/openapi.json").then(function (r) { return r.json(); }).then(function (json) { doc = json; render(); })
        .catch(function (e) { document.getElementById("error").textContent = "Could not load /openapi.json: " + e; });
    })();
    </script>
    </body>
    </html>
    """#
}
