//! Holds the requests sent to a NerdGraph double to New Relic's published schema (vendored
//! under tests/fixtures/specs/newrelic/, see its SOURCE.md). NerdGraph is GraphQL, not
//! OpenAPI, so it has its own checker: the request is `POST …/graphql` with an `API-Key`
//! header and a JSON body `{query, variables}`; the query is parsed (operations, variable
//! definitions, fields with arguments and selection sets; no fragments, which warroom never
//! sends) and every field selected must exist on its type, every argument on its field, every
//! required argument be given, every variable be defined with the argument's type, and every
//! variable's JSON value fit its declared type.
#![allow(dead_code)]

mod reader;

use reader::{Literal, Parser, Selection, lex};
use serde_json::Value;
use std::collections::BTreeMap;

/// A type reference as the schema writes it: `Int!`, `[AiIssuesIssueState!]`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TypeRef {
    Named(String),
    List(Box<TypeRef>),
    NonNull(Box<TypeRef>),
}

impl TypeRef {
    fn from_json(v: &Value) -> TypeRef {
        match v["kind"].as_str() {
            Some("NON_NULL") => TypeRef::NonNull(Box::new(TypeRef::from_json(&v["ofType"]))),
            Some("LIST") => TypeRef::List(Box::new(TypeRef::from_json(&v["ofType"]))),
            _ => TypeRef::Named(v["name"].as_str().unwrap_or("?").to_string()),
        }
    }

    fn base(&self) -> &str {
        match self {
            TypeRef::Named(n) => n,
            TypeRef::List(t) | TypeRef::NonNull(t) => t.base(),
        }
    }

    fn nullable(&self) -> &TypeRef {
        match self {
            TypeRef::NonNull(t) => t,
            t => t,
        }
    }

    /// Whether a variable declared `self` may be passed where `wanted` is expected (the
    /// GraphQL rule: the same type, or a non-null one where a nullable is taken).
    fn fits(&self, wanted: &TypeRef) -> bool {
        match (self, wanted) {
            (TypeRef::NonNull(a), TypeRef::NonNull(b)) => a.fits(b),
            (TypeRef::NonNull(a), b) => a.fits(b),
            (_, TypeRef::NonNull(_)) => false,
            (TypeRef::List(a), TypeRef::List(b)) => a.fits(b),
            (TypeRef::Named(a), TypeRef::Named(b)) => a == b,
            _ => false,
        }
    }
}

impl std::fmt::Display for TypeRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TypeRef::Named(n) => f.write_str(n),
            TypeRef::List(t) => write!(f, "[{t}]"),
            TypeRef::NonNull(t) => write!(f, "{t}!"),
        }
    }
}

#[derive(Debug)]
struct Field {
    ty: TypeRef,
    args: BTreeMap<String, TypeRef>,
}

#[derive(Debug)]
struct TypeDef {
    kind: String,
    fields: BTreeMap<String, Field>,
    inputs: BTreeMap<String, TypeRef>,
    enums: Vec<String>,
}

/// The vendored schema.
pub struct Schema {
    types: BTreeMap<String, TypeDef>,
    query: String,
    mutation: String,
}

impl Schema {
    /// `rel` under tests/fixtures/specs/, e.g. "newrelic/nerdgraph.json".
    pub fn load(rel: &str) -> Schema {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/specs")
            .join(rel);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("vendored schema {}: {e}", path.display()));
        let doc: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("vendored schema {}: {e}", path.display()));
        let mut types = BTreeMap::new();
        for t in doc["types"].as_array().expect("types[] in the schema") {
            let args = |f: &Value| {
                f["args"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|a| {
                        (
                            a["name"].as_str().unwrap_or("?").to_string(),
                            TypeRef::from_json(&a["type"]),
                        )
                    })
                    .collect()
            };
            let fields = t["fields"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|f| {
                    (
                        f["name"].as_str().unwrap_or("?").to_string(),
                        Field {
                            ty: TypeRef::from_json(&f["type"]),
                            args: args(f),
                        },
                    )
                })
                .collect();
            let inputs = t["inputFields"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|f| {
                    (
                        f["name"].as_str().unwrap_or("?").to_string(),
                        TypeRef::from_json(&f["type"]),
                    )
                })
                .collect();
            let enums = t["enumValues"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|e| e["name"].as_str().map(str::to_string))
                .collect();
            types.insert(
                t["name"].as_str().expect("a type's name").to_string(),
                TypeDef {
                    kind: t["kind"].as_str().unwrap_or("?").to_string(),
                    fields,
                    inputs,
                    enums,
                },
            );
        }
        Schema {
            types,
            query: doc["queryType"]["name"]
                .as_str()
                .unwrap_or("Query")
                .to_string(),
            mutation: doc["mutationType"]["name"]
                .as_str()
                .unwrap_or("Mutation")
                .to_string(),
        }
    }

    /// Checks one HTTP request sent to the double: `POST …/graphql`, an `API-Key`, a JSON
    /// body whose query and variables fit the schema.
    pub fn check(&self, req: &wiremock::Request) -> Result<(), String> {
        if req.method.as_str() != "POST" {
            return Err(format!("{} {}: NerdGraph takes POST", req.method, req.url));
        }
        if !req.url.path().ends_with("/graphql") {
            return Err(format!(
                "{}: NerdGraph is served at /graphql",
                req.url.path()
            ));
        }
        match req.headers.get("api-key").and_then(|v| v.to_str().ok()) {
            Some(k) if !k.trim().is_empty() => {}
            _ => return Err("no API-Key header".into()),
        }
        let ct = req
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !ct.starts_with("application/json") {
            return Err(format!("Content-Type {ct:?}, not application/json"));
        }
        let body: Value =
            serde_json::from_slice(&req.body).map_err(|e| format!("body is not JSON: {e}"))?;
        let query = body["query"]
            .as_str()
            .ok_or("body has no \"query\" string")?;
        if let Some(k) = body.as_object().and_then(|o| {
            o.keys()
                .find(|k| !["query", "variables", "operationName"].contains(&k.as_str()))
        }) {
            return Err(format!("body has an unknown member {k:?}"));
        }
        let variables = match &body["variables"] {
            Value::Null => Value::Object(Default::default()),
            v @ Value::Object(_) => v.clone(),
            _ => return Err("\"variables\" is not an object".into()),
        };
        self.check_document(query, &variables)
    }

    /// Checks a query document and its variables against the schema.
    pub fn check_document(&self, query: &str, variables: &Value) -> Result<(), String> {
        let tokens = lex(query)?;
        let mut p = Parser { tokens, at: 0 };
        let op = p.operation()?;
        if p.at != p.tokens.len() {
            return Err("more than one operation, or text after it".into());
        }
        let root = match op.kind.as_str() {
            "query" => &self.query,
            "mutation" => &self.mutation,
            other => return Err(format!("operation {other} is not checked here")),
        };
        let mut used = Vec::new();
        self.selections(root, &op.selections, &op.variables, &mut used)?;
        for (name, _) in &op.variables {
            if !used.contains(name) {
                return Err(format!("variable ${name} is defined but never used"));
            }
        }
        let given = variables.as_object().cloned().unwrap_or_default();
        for k in given.keys() {
            if !op.variables.iter().any(|(n, _)| n == k) {
                return Err(format!(
                    "variables has {k:?}, which the query does not define"
                ));
            }
        }
        for (name, ty) in &op.variables {
            let v = given.get(name).unwrap_or(&Value::Null);
            self.json_fits(v, ty)
                .map_err(|e| format!("variable ${name} ({ty}): {e}"))?;
        }
        Ok(())
    }

    /// Checks an answer the double gives to `query`: `errors`, when present, a list of
    /// objects with a `message`; otherwise `data` holding every selected field with a value of
    /// its type (non-null where the schema says so, enums among their values).
    pub fn check_response(&self, query: &str, body: &Value) -> Result<(), String> {
        let op = Parser {
            tokens: lex(query)?,
            at: 0,
        }
        .operation()?;
        if let Some(errors) = body.get("errors").filter(|e| !e.is_null()) {
            let list = errors.as_array().ok_or("errors is not a list")?;
            if list.is_empty() || list.iter().any(|e| !e["message"].is_string()) {
                return Err("errors must be a non-empty list of objects with a message".into());
            }
            return Ok(());
        }
        let root = if op.kind == "mutation" {
            &self.mutation
        } else {
            &self.query
        };
        self.data_fits(root, &op.selections, &body["data"])
            .map_err(|e| format!("answer: {e}"))
    }

    fn data_fits(&self, on: &str, selections: &[Selection], v: &Value) -> Result<(), String> {
        let obj = v
            .as_object()
            .ok_or_else(|| format!("{on}: {v} is not an object"))?;
        let def = self.type_def(on)?;
        for s in selections {
            let field = def
                .fields
                .get(&s.name)
                .ok_or_else(|| format!("{on} has no field {:?}", s.name))?;
            let value = obj
                .get(&s.name)
                .ok_or_else(|| format!("{on}.{} is missing", s.name))?;
            self.value_of_type(&field.ty, &s.selections, value)
                .map_err(|e| format!("{on}.{}: {e}", s.name))?;
        }
        if let Some(extra) = obj
            .keys()
            .find(|k| !selections.iter().any(|s| &s.name == *k))
        {
            return Err(format!("{on}.{extra} was not selected"));
        }
        Ok(())
    }

    fn value_of_type(&self, ty: &TypeRef, sel: &[Selection], v: &Value) -> Result<(), String> {
        match (ty, v) {
            (TypeRef::NonNull(_), Value::Null) => Err(format!("null where {ty} is required")),
            (TypeRef::NonNull(t), v) => self.value_of_type(t, sel, v),
            (_, Value::Null) => Ok(()),
            (TypeRef::List(t), Value::Array(items)) => {
                items.iter().try_for_each(|i| self.value_of_type(t, sel, i))
            }
            (TypeRef::List(_), v) => Err(format!("{v} is not a list")),
            (TypeRef::Named(n), v) => {
                let def = self.type_def(n)?;
                match def.kind.as_str() {
                    "OBJECT" => self.data_fits(n, sel, v),
                    "ENUM" if v.as_str().is_some_and(|s| def.enums.iter().any(|e| e == s)) => {
                        Ok(())
                    }
                    "ENUM" => Err(format!("{v} is not a value of {n}")),
                    _ => {
                        let ok = match n.as_str() {
                            "Int" | "EpochMilliseconds" | "Seconds" => v.is_i64() || v.is_u64(),
                            "Float" => v.is_number(),
                            "Boolean" => v.is_boolean(),
                            "ID" => v.is_string() || v.is_i64(),
                            // A map whose shape the query decides.
                            "NrdbResult" => v.is_object(),
                            _ => v.is_string(),
                        };
                        if ok {
                            Ok(())
                        } else {
                            Err(format!("{v} does not fit {n}"))
                        }
                    }
                }
            }
        }
    }

    fn type_def(&self, name: &str) -> Result<&TypeDef, String> {
        self.types
            .get(name)
            .ok_or_else(|| format!("type {name} is not in the vendored schema"))
    }

    fn selections(
        &self,
        on: &str,
        selections: &[Selection],
        vars: &[(String, TypeRef)],
        used: &mut Vec<String>,
    ) -> Result<(), String> {
        let def = self.type_def(on)?;
        for s in selections {
            if s.name == "__typename" {
                continue;
            }
            let field = def
                .fields
                .get(&s.name)
                .ok_or_else(|| format!("{on} has no field {:?}", s.name))?;
            for (arg, value) in &s.args {
                let ty = field
                    .args
                    .get(arg)
                    .ok_or_else(|| format!("{on}.{} takes no argument {arg:?}", s.name))?;
                self.value_fits(value, ty, vars, used)
                    .map_err(|e| format!("{on}.{}({arg}:): {e}", s.name))?;
            }
            for (arg, ty) in &field.args {
                if matches!(ty, TypeRef::NonNull(_)) && !s.args.iter().any(|(a, _)| a == arg) {
                    return Err(format!("{on}.{} requires argument {arg}", s.name));
                }
            }
            let target = self.type_def(field.ty.base());
            let leaf = matches!(target.map(|t| t.kind.as_str()), Ok("SCALAR") | Ok("ENUM"));
            match (leaf, s.selections.is_empty()) {
                (true, true) => {}
                (true, false) => {
                    return Err(format!("{on}.{} is a leaf; it takes no selection", s.name));
                }
                (false, true) => {
                    return Err(format!("{on}.{} needs a selection of fields", s.name));
                }
                (false, false) => self.selections(field.ty.base(), &s.selections, vars, used)?,
            }
        }
        Ok(())
    }

    fn value_fits(
        &self,
        value: &Literal,
        ty: &TypeRef,
        vars: &[(String, TypeRef)],
        used: &mut Vec<String>,
    ) -> Result<(), String> {
        match value {
            Literal::Variable(name) => {
                let declared = vars
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, t)| t)
                    .ok_or_else(|| format!("${name} is not defined"))?;
                if !declared.fits(ty) {
                    return Err(format!("${name} is {declared}, the argument takes {ty}"));
                }
                used.push(name.clone());
                Ok(())
            }
            Literal::Null => match ty {
                TypeRef::NonNull(_) => Err(format!("null where {ty} is required")),
                _ => Ok(()),
            },
            _ => match ty.nullable() {
                TypeRef::List(inner) => match value {
                    Literal::List(items) => items
                        .iter()
                        .try_for_each(|i| self.value_fits(i, inner, vars, used)),
                    single => self.value_fits(single, inner, vars, used),
                },
                TypeRef::NonNull(_) => unreachable!("nullable() strips one NonNull"),
                TypeRef::Named(n) => {
                    let def = self.type_def(n)?;
                    match (def.kind.as_str(), value) {
                        ("ENUM", Literal::Enum(e)) if def.enums.contains(e) => Ok(()),
                        ("ENUM", other) => Err(format!("{other:?} is not a value of enum {n}")),
                        ("INPUT_OBJECT", Literal::Object(members)) => {
                            for (k, v) in members {
                                let t = def
                                    .inputs
                                    .get(k)
                                    .ok_or_else(|| format!("input {n} has no field {k:?}"))?;
                                self.value_fits(v, t, vars, used)?;
                            }
                            Ok(())
                        }
                        ("SCALAR", Literal::Int(_))
                            if ["Int", "Float", "ID"].contains(&n.as_str()) =>
                        {
                            Ok(())
                        }
                        ("SCALAR", Literal::Str(_))
                            if n != "Int" && n != "Float" && n != "Boolean" =>
                        {
                            Ok(())
                        }
                        ("SCALAR", Literal::Bool(_)) if n == "Boolean" => Ok(()),
                        (_, other) => Err(format!("{other:?} does not fit {n}")),
                    }
                }
            },
        }
    }

    fn json_fits(&self, v: &Value, ty: &TypeRef) -> Result<(), String> {
        match (ty, v) {
            (TypeRef::NonNull(_), Value::Null) => Err("missing or null".into()),
            (TypeRef::NonNull(t), v) => self.json_fits(v, t),
            (_, Value::Null) => Ok(()),
            (TypeRef::List(t), Value::Array(items)) => {
                items.iter().try_for_each(|i| self.json_fits(i, t))
            }
            (TypeRef::List(t), single) => self.json_fits(single, t),
            (TypeRef::Named(n), v) => {
                let def = self.type_def(n)?;
                let ok = match def.kind.as_str() {
                    "ENUM" => v.as_str().is_some_and(|s| def.enums.iter().any(|e| e == s)),
                    "INPUT_OBJECT" => {
                        let Some(o) = v.as_object() else {
                            return Err(format!("{v} is not an object for {n}"));
                        };
                        for (k, x) in o {
                            let t = def
                                .inputs
                                .get(k)
                                .ok_or_else(|| format!("input {n} has no field {k:?}"))?;
                            self.json_fits(x, t)?;
                        }
                        true
                    }
                    _ => match n.as_str() {
                        "Int" | "EpochMilliseconds" | "Seconds" => v.is_i64() || v.is_u64(),
                        "Float" => v.is_number(),
                        "Boolean" => v.is_boolean(),
                        "ID" => v.is_string() || v.is_i64() || v.is_u64(),
                        _ => v.is_string(),
                    },
                };
                if ok {
                    Ok(())
                } else {
                    Err(format!("{v} does not fit {n}"))
                }
            }
        }
    }
}

/// Every request `server` received checked; panics listing all that break the schema (and if
/// none was received).
pub async fn assert_conforms(server: &wiremock::MockServer, schema: &Schema) {
    let requests = server.received_requests().await.unwrap_or_default();
    assert!(
        !requests.is_empty(),
        "the NerdGraph double received no request"
    );
    let broken: Vec<String> = requests
        .iter()
        .filter_map(|r| {
            schema
                .check(r)
                .err()
                .map(|e| format!("{} {}: {e}", r.method, r.url.path()))
        })
        .collect();
    assert!(
        broken.is_empty(),
        "requests that break the NerdGraph schema:\n{}",
        broken.join("\n")
    );
}

/// A double's answer to a NerdGraph request, checked against the schema for the query the
/// request carries: a body that breaks it is answered with HTTP 599 saying why, so the test
/// fails there rather than pass on a shape New Relic never sends.
pub struct Answer {
    schema: std::sync::Arc<Schema>,
    body: Value,
}

impl Answer {
    pub fn new(schema: std::sync::Arc<Schema>, body: Value) -> Answer {
        Answer { schema, body }
    }
}

impl wiremock::Respond for Answer {
    fn respond(&self, req: &wiremock::Request) -> wiremock::ResponseTemplate {
        let query = serde_json::from_slice::<Value>(&req.body)
            .ok()
            .and_then(|b| b["query"].as_str().map(str::to_string))
            .unwrap_or_default();
        match self.schema.check_response(&query, &self.body) {
            Ok(()) => wiremock::ResponseTemplate::new(200).set_body_json(&self.body),
            Err(e) => wiremock::ResponseTemplate::new(599)
                .set_body_string(format!("the double's answer breaks the schema: {e}")),
        }
    }
}
