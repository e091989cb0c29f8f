//! The schema half of the spec checker: JSON Schema validation as OpenAPI and Swagger use
//! it (`$ref`, type, required, properties, additionalProperties, enum, items, allOf,
//! oneOf/anyOf as "at least one", nullable, min/maxLength, min/maxItems), for request
//! bodies, parameters' text values and the double's answers.

use super::{MAX_DEPTH, Spec};
use serde_json::Value;

impl Spec {
    /// Checks a path, query or header parameter's text values against its schema.
    pub(super) fn check_text(
        &self,
        schema: &Value,
        param: &Value,
        values: &[String],
        what: &str,
        errs: &mut Vec<String>,
    ) {
        let schema = self.resolve(schema);
        let array = schema_type(schema) == Some("array");
        let split = array
            && if self.swagger {
                param["collectionFormat"].as_str().unwrap_or("csv") != "multi"
            } else {
                param["explode"] == false
            };
        let item = if array {
            self.resolve(&schema["items"])
        } else {
            schema
        };
        let values: Vec<&str> = if split {
            values.iter().flat_map(|v| v.split(',')).collect()
        } else {
            values.iter().map(String::as_str).collect()
        };
        for (i, v) in values.iter().enumerate() {
            let typed = match schema_type(item) {
                Some("integer") => v.parse::<i64>().map(Value::from).ok(),
                Some("number") => v.parse::<f64>().ok().map(Value::from),
                Some("boolean") => v.parse::<bool>().ok().map(Value::from),
                _ => Some(Value::from(*v)),
            };
            match typed {
                None => errs.push(format!(
                    "{what} `{v}` is not of type {}",
                    schema_type(item).unwrap_or("?")
                )),
                Some(t) => self.validate(
                    item,
                    &t,
                    &if values.len() > 1 {
                        format!("{what}[{i}]")
                    } else {
                        what.to_string()
                    },
                    0,
                    errs,
                ),
            }
        }
    }

    /// Follows a local `$ref` (`#/...`), however many times it is chained.
    pub(super) fn resolve<'a>(&'a self, mut v: &'a Value) -> &'a Value {
        for _ in 0..MAX_DEPTH {
            let Some(r) = v.get("$ref").and_then(Value::as_str) else {
                return v;
            };
            let pointer = r
                .strip_prefix('#')
                .unwrap_or_else(|| panic!("{}: only local $ref are supported, not {r}", self.name));
            v = self
                .doc
                .pointer(pointer)
                .unwrap_or_else(|| panic!("{}: $ref {r} points nowhere", self.name));
        }
        panic!("{}: $ref chain too deep at {v}", self.name)
    }

    /// Validates `v` (at JSON pointer `at`) against `schema`, adding one message per problem.
    pub(super) fn validate(
        &self,
        schema: &Value,
        v: &Value,
        at: &str,
        depth: usize,
        errs: &mut Vec<String>,
    ) {
        if depth > MAX_DEPTH {
            return;
        }
        let s = self.resolve(schema);
        if !s.is_object() {
            return;
        }
        let nullable = s["nullable"] == true
            || s["x-nullable"] == true
            || s["type"]
                .as_array()
                .is_some_and(|t| t.iter().any(|t| t == "null"));
        if v.is_null() && nullable {
            return;
        }
        let types: Vec<&str> = match &s["type"] {
            Value::String(t) => vec![t.as_str()],
            Value::Array(t) => t.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        if !types.is_empty() && !types.iter().any(|t| is_type(v, t)) {
            errs.push(format!(
                "{} is not of type {} at {at}",
                kind(v),
                types.join("|")
            ));
            return;
        }
        if let Some(allowed) = s["enum"].as_array()
            && !allowed.contains(v)
        {
            let allowed = Value::from(allowed.clone());
            errs.push(format!("{v} is not one of {allowed} at {at}"));
        }
        for sub in s["allOf"].as_array().into_iter().flatten() {
            self.validate(sub, v, at, depth + 1, errs);
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(alts) = s[key].as_array() {
                let mut tries: Vec<Vec<String>> = Vec::new();
                for alt in alts {
                    let mut e = Vec::new();
                    self.validate(alt, v, at, depth + 1, &mut e);
                    if e.is_empty() {
                        tries.clear();
                        break;
                    }
                    tries.push(e);
                }
                if let Some(closest) = tries.iter().min_by_key(|e| e.len()) {
                    errs.push(format!(
                        "matches none of the {} {key} alternatives at {at} (closest: {})",
                        alts.len(),
                        closest.join("; ")
                    ));
                }
            }
        }
        match v {
            Value::Object(o) => {
                for r in s["required"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                {
                    if !o.contains_key(r) {
                        errs.push(format!("required property `{r}` is missing at {at}"));
                    }
                }
                let props = s["properties"].as_object();
                for (k, val) in o {
                    let here = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                    match (props.and_then(|p| p.get(k)), &s["additionalProperties"]) {
                        (Some(p), _) => self.validate(p, val, &here, depth + 1, errs),
                        (None, Value::Bool(false)) => {
                            errs.push(format!("property `{k}` is not allowed at {at}"))
                        }
                        (None, extra @ Value::Object(_)) => {
                            self.validate(extra, val, &here, depth + 1, errs)
                        }
                        _ => {}
                    }
                }
            }
            Value::Array(a) => {
                if let Some(max) = s["maxItems"].as_u64().filter(|m| a.len() as u64 > *m) {
                    errs.push(format!(
                        "{} items, more than maxItems {max} at {at}",
                        a.len()
                    ));
                }
                if let Some(min) = s["minItems"].as_u64().filter(|m| (a.len() as u64) < *m) {
                    errs.push(format!(
                        "{} items, fewer than minItems {min} at {at}",
                        a.len()
                    ));
                }
                if !s["items"].is_null() {
                    for (i, item) in a.iter().enumerate() {
                        self.validate(&s["items"], item, &format!("{at}/{i}"), depth + 1, errs);
                    }
                }
            }
            Value::String(t) => {
                let n = t.chars().count() as u64;
                if let Some(max) = s["maxLength"].as_u64().filter(|m| n > *m) {
                    errs.push(format!(
                        "{n} characters, longer than maxLength {max} at {at}"
                    ));
                }
                if let Some(min) = s["minLength"].as_u64().filter(|m| n < *m) {
                    errs.push(format!(
                        "{n} characters, shorter than minLength {min} at {at}"
                    ));
                }
            }
            _ => {}
        }
    }
}

pub(super) fn schema_type(s: &Value) -> Option<&str> {
    s["type"].as_str()
}

pub(super) fn is_type(v: &Value, t: &str) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        "number" => v.is_number(),
        "integer" => v.is_i64() || v.is_u64() || v.as_f64().is_some_and(|f| f.fract() == 0.0),
        _ => true,
    }
}

pub(super) fn kind(v: &Value) -> String {
    match v {
        Value::Null => "null".to_string(),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Number(n) => format!("number {n}"),
        Value::String(s) => format!("string {:?}", s.chars().take(40).collect::<String>()),
        Value::Array(_) => "an array".to_string(),
        Value::Object(_) => "an object".to_string(),
    }
}
