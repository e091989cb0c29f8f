//! Holds the requests a client sends to an HTTP double to the vendor's published API
//! description: one vendored OpenAPI 3 or Swagger 2 JSON document under tests/fixtures/specs/.
//!
//! A request conforms when its method and path match an operation (the servers' base path
//! stripped; literal segments preferred over `{param}` ones), the operation's required path,
//! query and header parameters are there, no query parameter the operation does not declare
//! is sent, parameter values fit their schema's type and enum, the security the operation asks
//! for is present (its header or query parameter), and a JSON body validates against the
//! request body schema (`$ref`, type, required, properties, additionalProperties, enum, items,
//! allOf, oneOf/anyOf as "at least one", nullable, min/maxLength, min/maxItems; other
//! keywords are ignored; the validation is in `spec/schema.rs`). `Content-Type` is held to
//! the spec only when a body is sent.
#![allow(dead_code)]

mod schema;

use serde_json::Value;
use std::collections::BTreeSet;

/// One vendored API description.
pub struct Spec {
    name: String,
    doc: Value,
    /// Swagger 2 rather than OpenAPI 3.
    swagger: bool,
    /// Base paths of the servers, longest first ("" when at the root): a request must start
    /// with one of them.
    bases: Vec<String>,
}

/// A path template, its path item, and the path parameters' values in the request.
type PathMatch<'a> = (String, &'a Value, Vec<(String, String)>);

/// How deep `$ref`s and nested schemas are followed before giving up (a cycle guard).
const MAX_DEPTH: usize = 64;

impl Spec {
    /// Loads `tests/fixtures/specs/<rel>`; panics naming the file when it is missing or broken.
    pub fn load(rel: &str) -> Spec {
        let file = format!("{}/tests/fixtures/specs/{rel}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("spec {file} cannot be read: {e}"));
        let doc: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("spec {file} is not JSON: {e}"));
        Spec::from_value(rel, doc)
    }

    /// A spec from a document already in memory (`name` is used in messages).
    pub fn from_value(name: &str, doc: Value) -> Spec {
        let swagger = doc["swagger"].as_str().is_some_and(|v| v.starts_with('2'));
        let openapi = doc["openapi"].as_str().is_some_and(|v| v.starts_with('3'));
        assert!(
            swagger || openapi,
            "spec {name} is neither Swagger 2 nor OpenAPI 3"
        );
        assert!(doc["paths"].is_object(), "spec {name} has no paths");
        let mut bases: Vec<String> = if swagger {
            vec![doc["basePath"].as_str().unwrap_or("").to_string()]
        } else {
            doc["servers"]
                .as_array()
                .map(|s| s.iter().map(server_path).collect())
                .unwrap_or_default()
        };
        bases
            .iter_mut()
            .for_each(|b| *b = b.trim_end_matches('/').to_string());
        if bases.is_empty() {
            bases.push(String::new());
        }
        bases.sort_by_key(|b| std::cmp::Reverse(b.len()));
        bases.dedup();
        Spec {
            name: name.to_string(),
            doc,
            swagger,
            bases,
        }
    }

    /// Checks one request; `Err` names the method, the path and every rule it breaks.
    pub fn check(&self, req: &wiremock::Request) -> Result<(), String> {
        let method = req.method.as_str().to_ascii_lowercase();
        let shown = format!("{} {}", req.method, req.url.path());
        let fail = |problems: Vec<String>| {
            Err(format!(
                "{shown} breaks {}: {}",
                self.name,
                problems.join("; ")
            ))
        };
        let segments: Vec<String> = self
            .bases
            .iter()
            .find_map(|b| strip_base(req.url.path(), b))
            .unwrap_or_default();
        let Some((template, item, params)) = self.find_path(&segments, &method) else {
            let bases = self.bases.join(" or ");
            return fail(vec![format!(
                "no path in the spec matches it (base path {bases:?})"
            )]);
        };
        let Some(op) = item.get(&method) else {
            let allowed: Vec<String> = ["get", "put", "post", "delete", "patch", "head", "options"]
                .iter()
                .filter(|m| item.get(**m).is_some())
                .map(|m| m.to_uppercase())
                .collect();
            return fail(vec![format!(
                "method {} is not allowed on {template} (the spec has {})",
                req.method,
                allowed.join(", ")
            )]);
        };
        let mut errs = Vec::new();
        let mut declared = BTreeSet::new();
        let query: Vec<(String, String)> = req.url.query_pairs().into_owned().collect();
        let has_body = !req.body.is_empty();
        let mut body_schema = None;
        let mut form = false;
        let auth_headers = self.auth_headers();
        for p in self.parameters(item, op) {
            let name = p["name"].as_str().unwrap_or("");
            let required = p["required"].as_bool().unwrap_or(false);
            let schema = if self.swagger { &p } else { &p["schema"] };
            match p["in"].as_str().unwrap_or("") {
                "path" => {
                    if let Some((_, v)) = params.iter().find(|(n, _)| n == name) {
                        self.check_text(
                            schema,
                            &p,
                            std::slice::from_ref(v),
                            &format!("path parameter `{name}`"),
                            &mut errs,
                        );
                    }
                }
                "query" => {
                    declared.insert(name.to_string());
                    let values: Vec<String> = query
                        .iter()
                        .filter(|(n, _)| n == name)
                        .map(|(_, v)| v.clone())
                        .collect();
                    if values.is_empty() && required {
                        errs.push(format!("required query parameter `{name}` is missing"));
                    }
                    if !values.is_empty() {
                        self.check_text(
                            schema,
                            &p,
                            &values,
                            &format!("query parameter `{name}`"),
                            &mut errs,
                        );
                    }
                }
                "header" => {
                    let lower = name.to_ascii_lowercase();
                    if auth_headers.contains(&lower) || (lower == "content-type" && !has_body) {
                        continue;
                    }
                    let values: Vec<String> = req
                        .headers
                        .get_all(name)
                        .iter()
                        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                        .collect();
                    if values.is_empty() && required {
                        errs.push(format!("required header `{name}` is missing"));
                    }
                    if !values.is_empty() {
                        let values: Vec<String> = if lower == "content-type" {
                            values.iter().map(|v| media_type(v)).collect()
                        } else {
                            values
                        };
                        self.check_text(
                            schema,
                            &p,
                            &values,
                            &format!("header `{name}`"),
                            &mut errs,
                        );
                    }
                }
                "body" => body_schema = Some((p["schema"].clone(), required)),
                "formData" => form = true,
                _ => {}
            }
        }
        self.check_security(op, req, &query, &mut declared, &mut errs);
        for (n, _) in &query {
            if !declared.contains(n) {
                errs.push(format!(
                    "query parameter `{n}` is not declared by {} {template}",
                    req.method
                ));
                declared.insert(n.clone());
            }
        }
        if !self.swagger {
            body_schema = self.oas3_body(op, req, &mut errs);
        }
        match (body_schema, has_body) {
            (Some((schema, _)), true) => match serde_json::from_slice::<Value>(&req.body) {
                Ok(body) => self.validate(&schema, &body, "body#", 0, &mut errs),
                Err(e) => errs.push(format!("the body is not JSON: {e}")),
            },
            (Some((_, true)), false) => {
                errs.push("the required request body is missing".to_string())
            }
            (None, true)
                if (self.swagger && !form)
                    || (!self.swagger && self.resolve(&op["requestBody"]).is_null()) =>
            {
                errs.push(format!(
                    "{} {template} takes no request body, but one was sent",
                    req.method
                ));
            }
            _ => {}
        }
        if errs.is_empty() { Ok(()) } else { fail(errs) }
    }

    /// Checks a body the double answers with against the operation's response schema for
    /// `status` (or `default`); `path` is as the client sends it, base path included.
    pub fn check_response(
        &self,
        method: &str,
        path: &str,
        status: u16,
        body: &Value,
    ) -> Result<(), String> {
        let media = self.response(method, path, status)?;
        let schema = &media["schema"];
        let mut errs = Vec::new();
        self.validate(schema, body, "response#", 0, &mut errs);
        if errs.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "{method} {path} {status} answer breaks {}: {}",
                self.name,
                errs.join("; ")
            ))
        }
    }

    /// The spec's own example of the JSON answer to `method path` with `status`, if it has one.
    pub fn example(&self, method: &str, path: &str, status: u16) -> Option<Value> {
        let media = self.response(method, path, status).ok()?;
        let named = media["examples"]
            .as_object()
            .and_then(|e| e.values().next())
            .map(|e| &e["value"]);
        [
            media.get("example"),
            named,
            media["examples"].get("application/json"),
        ]
        .into_iter()
        .flatten()
        .find(|v| !v.is_null())
        .cloned()
    }

    /// The JSON media object (OpenAPI 3) or the response object (Swagger 2) for an answer.
    fn response(&self, method: &str, path: &str, status: u16) -> Result<&Value, String> {
        let method = method.to_ascii_lowercase();
        let segments = self
            .bases
            .iter()
            .find_map(|b| strip_base(path, b))
            .unwrap_or_default();
        let (template, item, _) = self
            .find_path(&segments, &method)
            .ok_or_else(|| format!("{path} matches no path of {}", self.name))?;
        let responses = &self.resolve(&item[&method])["responses"];
        let code = status.to_string();
        let range = format!("{}XX", status / 100);
        let r = [code.as_str(), range.as_str(), "default"]
            .iter()
            .map(|k| self.resolve(&responses[*k]))
            .find(|r| !r.is_null())
            .ok_or_else(|| {
                format!(
                    "{method} {template} has no {status} answer in {}",
                    self.name
                )
            })?;
        if self.swagger {
            return Ok(r);
        }
        r["content"]
            .as_object()
            .and_then(|c| c.iter().find(|(k, _)| k.contains("json")).map(|(_, m)| m))
            .ok_or_else(|| {
                format!(
                    "{method} {template} {status} has no JSON body in {}",
                    self.name
                )
            })
    }

    /// The best path item for these segments: literal segments count before templated ones,
    /// and among equals one that has `method`. Returns the template, its item and the
    /// path parameters' values.
    fn find_path(&self, segments: &[String], method: &str) -> Option<PathMatch<'_>> {
        let mut best: Option<((usize, bool), PathMatch<'_>)> = None;
        for (template, item) in self.doc["paths"].as_object()? {
            let parts: Vec<&str> = template
                .trim_matches('/')
                .split('/')
                .filter(|s| !s.is_empty())
                .collect();
            if parts.len() != segments.len() {
                continue;
            }
            let mut literal = 0;
            let mut params = Vec::new();
            let matched = parts.iter().zip(segments).all(|(t, s)| match t.find('{') {
                None => {
                    literal += 1;
                    t == s
                }
                Some(open) => {
                    let close = t.find('}').unwrap_or(t.len() - 1);
                    let (pre, suf) = (&t[..open], &t[close + 1..]);
                    let ok =
                        s.len() > pre.len() + suf.len() && s.starts_with(pre) && s.ends_with(suf);
                    if ok {
                        params.push((
                            t[open + 1..close].to_string(),
                            s[pre.len()..s.len() - suf.len()].to_string(),
                        ));
                    }
                    ok
                }
            });
            let score = (literal, item.get(method).is_some());
            if matched && best.as_ref().is_none_or(|b| score > b.0) {
                best = Some((score, (template.clone(), item, params)));
            }
        }
        best.map(|(_, m)| m)
    }

    /// Path-level parameters overridden by the operation's own (same name and place).
    fn parameters(&self, item: &Value, op: &Value) -> Vec<Value> {
        let mut out: Vec<Value> = Vec::new();
        for p in [&item["parameters"], &op["parameters"]]
            .into_iter()
            .filter_map(|l| l.as_array())
            .flatten()
        {
            let p = self.resolve(p).clone();
            out.retain(|q| q["name"] != p["name"] || q["in"] != p["in"]);
            out.push(p);
        }
        out
    }

    /// OpenAPI 3: the JSON schema of the request body for the sent content type.
    fn oas3_body(
        &self,
        op: &Value,
        req: &wiremock::Request,
        errs: &mut Vec<String>,
    ) -> Option<(Value, bool)> {
        let rb = self.resolve(&op["requestBody"]);
        let content = rb["content"].as_object()?;
        let required = rb["required"].as_bool().unwrap_or(false);
        if req.body.is_empty() {
            return Some((Value::Null, required));
        }
        let sent = req
            .headers
            .get("content-type")
            .map(|v| media_type(&String::from_utf8_lossy(v.as_bytes())));
        let Some(sent) = sent else {
            errs.push("a body was sent without Content-Type".to_string());
            return None;
        };
        let found = content
            .iter()
            .find(|(k, _)| media_type(k) == sent)
            .or_else(|| {
                content.iter().find(|(k, _)| {
                    k.ends_with("/*") && sent.starts_with(k.trim_end_matches('*'))
                        || k.as_str() == "*/*"
                })
            });
        match found {
            Some(_) if !sent.contains("json") => None,
            Some((_, media)) => Some((media["schema"].clone(), required)),
            None => {
                let offered: Vec<&String> = content.keys().collect();
                errs.push(format!(
                    "Content-Type {sent} is not one the operation accepts ({offered:?})"
                ));
                None
            }
        }
    }

    /// Headers that carry credentials (always `authorization`, and every header-borne key of
    /// the security schemes), lower-cased: held by the security check, not as parameters.
    fn auth_headers(&self) -> BTreeSet<String> {
        let schemes = self.security_schemes();
        let mut out = BTreeSet::from(["authorization".to_string()]);
        for s in schemes.as_object().into_iter().flat_map(|o| o.values()) {
            let s = self.resolve(s);
            if s["type"] == "apiKey" && s["in"] == "header" {
                out.insert(s["name"].as_str().unwrap_or("").to_ascii_lowercase());
            }
        }
        out
    }

    fn security_schemes(&self) -> &Value {
        if self.swagger {
            &self.doc["securityDefinitions"]
        } else {
            &self.doc["components"]["securitySchemes"]
        }
    }

    /// The security the operation (or the document) asks for: one of the alternatives must be
    /// wholly present. Query parameters that carry a key count as declared.
    fn check_security(
        &self,
        op: &Value,
        req: &wiremock::Request,
        query: &[(String, String)],
        declared: &mut BTreeSet<String>,
        errs: &mut Vec<String>,
    ) {
        let schemes = self.security_schemes();
        if let Some(all) = schemes.as_object() {
            for s in all.values().filter(|s| s["in"] == "query") {
                declared.insert(s["name"].as_str().unwrap_or("").to_string());
            }
        }
        let wanted = op.get("security").unwrap_or(&self.doc["security"]);
        let Some(alternatives) = wanted.as_array().filter(|a| !a.is_empty()) else {
            return;
        };
        let header = |n: &str| {
            req.headers
                .get(n)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        };
        let mut missing = Vec::new();
        for alt in alternatives {
            let mut lacks = Vec::new();
            for name in alt
                .as_object()
                .map(|o| o.keys().collect::<Vec<_>>())
                .unwrap_or_default()
            {
                let s = self.resolve(&schemes[name]);
                let present = match (s["type"].as_str().unwrap_or(""), s["in"].as_str()) {
                    ("apiKey", Some("query")) => query
                        .iter()
                        .any(|(n, _)| Some(n.as_str()) == s["name"].as_str()),
                    ("apiKey", Some("cookie")) => header("cookie").is_some(),
                    ("apiKey", _) => header(s["name"].as_str().unwrap_or("")).is_some(),
                    ("http", _) | ("basic", _) => {
                        let scheme = s["scheme"].as_str().unwrap_or("basic").to_ascii_lowercase();
                        header("authorization").is_some_and(|v| {
                            v.to_ascii_lowercase().starts_with(&format!("{scheme} "))
                        })
                    }
                    _ => header("authorization").is_some(),
                };
                if !present {
                    let where_ = s["name"].as_str().unwrap_or("Authorization");
                    lacks.push(format!(
                        "{name} (the `{where_}` {})",
                        s["in"].as_str().unwrap_or("header")
                    ));
                }
            }
            if lacks.is_empty() {
                return;
            }
            missing.push(lacks.join(" and "));
        }
        errs.push(format!(
            "the authentication the operation requires is missing: {}",
            missing.join(", or ")
        ));
    }
}

/// Checks every request the double received; panics listing each violation, or when none
/// was received at all (a test that sent nothing proves nothing).
pub async fn assert_conforms(server: &wiremock::MockServer, spec: &Spec) {
    let requests = server
        .received_requests()
        .await
        .expect("the double records requests");
    assert!(
        !requests.is_empty(),
        "no request reached the double, so none was checked against {}",
        spec.name
    );
    let problems: Vec<String> = requests
        .iter()
        .filter_map(|r| spec.check(r).err())
        .collect();
    assert!(
        problems.is_empty(),
        "{} of {} requests break the spec:\n{}",
        problems.len(),
        requests.len(),
        problems.join("\n")
    );
}

/// The path of an OpenAPI 3 server URL, its variables replaced by their defaults.
fn server_path(server: &Value) -> String {
    let mut url = server["url"].as_str().unwrap_or("").to_string();
    if let Some(vars) = server["variables"].as_object() {
        for (k, v) in vars {
            url = url.replace(&format!("{{{k}}}"), v["default"].as_str().unwrap_or(""));
        }
    }
    let rest = url.split_once("://").map_or(url.as_str(), |(_, r)| r);
    let path = if url.contains("://") {
        rest.find('/').map_or("", |i| &rest[i..])
    } else {
        rest
    };
    path.to_string()
}

/// The request path's segments (percent-decoded) after `base`, if it starts with it.
fn strip_base(path: &str, base: &str) -> Option<Vec<String>> {
    let rest = path.strip_prefix(base)?;
    if !(rest.is_empty() || rest.starts_with('/')) {
        return None;
    }
    Some(
        rest.split('/')
            .filter(|s| !s.is_empty())
            .map(percent_decode)
            .collect(),
    )
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `application/json; charset=utf-8` → `application/json`.
fn media_type(v: &str) -> String {
    v.split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}
