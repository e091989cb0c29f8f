//! The runbook as warroom holds it once `runbook.toml` has been read and checked: each
//! compensating action, its parameters and how they are validated, and how a run is prepared
//! — parameters substituted into one argument each (never split, never given to a shell),
//! `${VAR}` values read from warroom's environment and remembered as secrets.

use super::redact::Redactor;
use crate::domain::MetricQuery;
use regex::Regex;
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// Every action of `runbook.toml`, in file order.
#[derive(Debug, Clone, Default)]
pub struct Runbook {
    pub actions: Vec<CompensatingAction>,
}

impl Runbook {
    pub fn get(&self, name: &str) -> Option<&CompensatingAction> {
        self.actions.iter().find(|a| a.name == name)
    }
}

/// One thing the call leader may do to limit the damage: turn a flag off, roll back, shed load.
#[derive(Debug, Clone)]
pub struct CompensatingAction {
    pub name: String,
    pub description: String,
    pub kind: ActionKind,
    /// The run is killed (with its whole process group) after this long.
    pub timeout: Duration,
    /// Ask before running.
    pub confirm: bool,
    /// Ask by having the action's name typed.
    pub dangerous: bool,
    /// The action that reverses this one.
    pub undo: Option<String>,
    pub verify: Option<VerifySpec>,
    pub params: Vec<ParamSpec>,
}

#[derive(Debug, Clone)]
pub enum ActionKind {
    Exec(ExecSpec),
    Http(HttpSpec),
}

impl ActionKind {
    pub fn name(&self) -> &'static str {
        match self {
            ActionKind::Exec(_) => "exec",
            ActionKind::Http(_) => "http",
        }
    }
}

/// A program and its arguments, run without a shell.
#[derive(Debug, Clone)]
pub struct ExecSpec {
    /// `argv[0]` is fixed text; later arguments may hold `{param}`s.
    pub argv: Vec<Template>,
    pub dir: Option<String>,
    /// Extra environment; values may hold `${VAR}` (a secret) and `{param}`s.
    pub env: Vec<(String, Template)>,
}

/// One HTTP request.
#[derive(Debug, Clone)]
pub struct HttpSpec {
    pub method: reqwest::Method,
    /// Parameters are percent-encoded into it; `${VAR}` values are not (a base URL may come
    /// from the environment).
    pub url: Template,
    pub headers: Vec<(String, Template)>,
    /// A JSON document whose strings may hold `{param}`s and `${VAR}`s; values are put in as
    /// JSON strings, so they are escaped properly whatever they hold.
    pub body: Option<serde_json::Value>,
    pub expect_status: ExpectStatus,
}

/// Which HTTP statuses mean the action worked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpectStatus {
    AnySuccess,
    OneOf(Vec<u16>),
}

impl ExpectStatus {
    pub fn accepts(&self, status: u16) -> bool {
        match self {
            ExpectStatus::AnySuccess => (200..300).contains(&status),
            ExpectStatus::OneOf(list) => list.contains(&status),
        }
    }
}

impl fmt::Display for ExpectStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExpectStatus::AnySuccess => f.write_str("2xx"),
            ExpectStatus::OneOf(list) => {
                let l: Vec<String> = list.iter().map(u16::to_string).collect();
                f.write_str(&l.join(" or "))
            }
        }
    }
}

/// After a successful run: poll the metrics source until `expect` holds or `within` passes.
#[derive(Debug, Clone)]
pub struct VerifySpec {
    /// The query as written (its texts may hold `{param}`s).
    pub query: MetricQuery,
    /// Each of the query's [`MetricQuery::texts`], read as a template, in the same order.
    pub templates: Vec<Template>,
    pub expect: Expectation,
    pub within: Duration,
    pub every: Duration,
}

/// `< 0.01`, `>= 5`, `== 0`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Expectation {
    pub op: Comparison,
    pub value: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    Equal,
    NotEqual,
}

impl Expectation {
    /// Reads `< 0.01`, `<= 1`, `> 5`, `>= 5`, `== 0`, `!= 0`.
    pub fn parse(s: &str) -> Result<Expectation, String> {
        let t = s.trim();
        let ops = [
            ("<=", Comparison::LessOrEqual),
            (">=", Comparison::GreaterOrEqual),
            ("==", Comparison::Equal),
            ("!=", Comparison::NotEqual),
            ("<", Comparison::Less),
            (">", Comparison::Greater),
        ];
        for (text, op) in ops {
            if let Some(rest) = t.strip_prefix(text) {
                let value: f64 = rest
                    .trim()
                    .parse()
                    .map_err(|_| format!("'{s}': '{}' is not a number", rest.trim()))?;
                if !value.is_finite() {
                    return Err(format!("'{s}': the threshold must be a finite number"));
                }
                return Ok(Expectation { op, value });
            }
        }
        Err(format!(
            "'{s}' is not an expectation (write e.g. \"< 0.01\", \"> 5\", \"== 0\")"
        ))
    }

    pub fn holds(&self, v: f64) -> bool {
        if v.is_nan() {
            return false;
        }
        match self.op {
            Comparison::Less => v < self.value,
            Comparison::LessOrEqual => v <= self.value,
            Comparison::Greater => v > self.value,
            Comparison::GreaterOrEqual => v >= self.value,
            Comparison::Equal => v == self.value,
            Comparison::NotEqual => v != self.value,
        }
    }
}

impl fmt::Display for Expectation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = match self.op {
            Comparison::Less => "<",
            Comparison::LessOrEqual => "<=",
            Comparison::Greater => ">",
            Comparison::GreaterOrEqual => ">=",
            Comparison::Equal => "==",
            Comparison::NotEqual => "!=",
        };
        write!(f, "{op} {}", self.value)
    }
}

/// A parameter the call leader fills in before a run.
#[derive(Debug, Clone)]
pub struct ParamSpec {
    pub name: String,
    pub description: Option<String>,
    pub rule: ParamRule,
    pub default: Option<String>,
}

/// How a parameter's value is checked. There is no unchecked free text: a value goes into a
/// command, so it must match a pattern or be one of a list.
#[derive(Debug, Clone)]
pub enum ParamRule {
    /// Must match the whole value.
    Pattern(Regex),
    Choices(Vec<String>),
    /// A service from the blast radius; the console offers the affected ones. The pattern
    /// (a service-name shape unless the runbook gives one) checks a typed value.
    BlastRadius(Regex),
}

/// The shape of a service name, for `from = "blast_radius"` without a pattern.
pub const SERVICE_NAME_PATTERN: &str = "[A-Za-z0-9][A-Za-z0-9._-]*";

/// Compiles `pattern` so that it must match a whole value.
pub fn whole_value_regex(pattern: &str) -> Result<Regex, regex::Error> {
    Regex::new(&format!("^(?:{pattern})$"))
}

impl ParamSpec {
    /// `Ok` or why `value` is refused.
    pub fn check(&self, value: &str) -> Result<(), String> {
        if value.chars().any(char::is_control) {
            return Err("must be one line without control characters".into());
        }
        match &self.rule {
            ParamRule::Pattern(re) | ParamRule::BlastRadius(re) => {
                if re.is_match(value) {
                    Ok(())
                } else {
                    Err(format!(
                        "'{value}' does not match the pattern {}",
                        display_pattern(re)
                    ))
                }
            }
            ParamRule::Choices(list) => {
                if list.iter().any(|c| c == value) {
                    Ok(())
                } else {
                    Err(format!("'{value}' is not one of: {}", list.join(", ")))
                }
            }
        }
    }

    /// What the form and `warroom actions` say about the value.
    pub fn hint(&self) -> String {
        match &self.rule {
            ParamRule::Pattern(re) => format!("matching {}", display_pattern(re)),
            ParamRule::Choices(list) => format!("one of {}", list.join(", ")),
            ParamRule::BlastRadius(_) => "a service from the blast radius".into(),
        }
    }
}

/// The pattern as the runbook wrote it (without the anchoring added around it).
pub fn display_pattern(re: &Regex) -> String {
    let s = re.as_str();
    s.strip_prefix("^(?:")
        .and_then(|r| r.strip_suffix(")$"))
        .unwrap_or(s)
        .to_string()
}

/// A value with `{param}` and `${VAR}` places in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub pieces: Vec<Piece>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    Param(String),
    Env(String),
}

impl Template {
    /// Reads `{param}` (a declared parameter's name), `${VAR}` and `{{` / `}}` for literal
    /// braces. A `{` not followed by a name and `}` is literal text (PromQL and JSON are full
    /// of braces). `params` are the declared names; a `{name}` naming another is an error.
    pub fn parse(text: &str, params: &[&str], env_allowed: bool) -> Result<Template, String> {
        let mut pieces = Vec::new();
        let mut lit = String::new();
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            if let Some(r) = rest.strip_prefix("{{") {
                lit.push('{');
                rest = r;
                continue;
            }
            if let Some(r) = rest.strip_prefix("}}") {
                lit.push('}');
                rest = r;
                continue;
            }
            if let Some(r) = rest.strip_prefix("${") {
                let Some(end) = r.find('}') else {
                    return Err(format!("'{text}': ${{ without a closing }}"));
                };
                let var = &r[..end];
                if !is_env_name(var) {
                    if !env_allowed {
                        // Shell syntax in a `sh -c` script (`${1:-x}`): not ours, kept.
                        lit.push_str("${");
                        rest = r;
                        continue;
                    }
                    return Err(format!(
                        "'{text}': '${{{var}}}' is not an environment variable name"
                    ));
                }
                if !env_allowed {
                    return Err(format!(
                        "'{text}': ${{{var}}} is not allowed here; pass secrets through \
                         [action.env] (arguments are visible to every user of the machine; \
                         in a shell script write ${var} to read it from the environment)"
                    ));
                }
                flush(&mut lit, &mut pieces);
                pieces.push(Piece::Env(var.to_string()));
                rest = &r[end + 1..];
                continue;
            }
            if let Some(r) = rest.strip_prefix('{')
                && let Some(end) = r.find('}')
                && is_param_name(&r[..end])
            {
                let name = &r[..end];
                if !params.contains(&name) {
                    return Err(format!(
                        "'{text}': {{{name}}} is not a parameter of this action \
                         (declare it with [[action.param]], or write {{{{{name}}}}} for literal braces)"
                    ));
                }
                flush(&mut lit, &mut pieces);
                pieces.push(Piece::Param(name.to_string()));
                rest = &r[end + 1..];
                continue;
            }
            lit.push(c);
            rest = &rest[c.len_utf8()..];
        }
        flush(&mut lit, &mut pieces);
        Ok(Template { pieces })
    }

    pub fn literal(text: &str) -> Template {
        Template {
            pieces: vec![Piece::Text(text.to_string())],
        }
    }

    pub fn params(&self) -> impl Iterator<Item = &str> {
        self.pieces.iter().filter_map(|p| match p {
            Piece::Param(n) => Some(n.as_str()),
            _ => None,
        })
    }

    pub fn env_vars(&self) -> impl Iterator<Item = &str> {
        self.pieces.iter().filter_map(|p| match p {
            Piece::Env(n) => Some(n.as_str()),
            _ => None,
        })
    }

    /// Fills the template in one pass: a parameter's value is put in as it is (a `{x}` or
    /// `${X}` inside a value is never expanded again); `encode` is applied to parameter values
    /// only; `env` gives `${VAR}` values (`None`: shown as `[redacted]`).
    fn fill(
        &self,
        params: &BTreeMap<String, String>,
        env: &mut dyn FnMut(&str) -> Option<String>,
        encode: fn(&str) -> String,
    ) -> String {
        let mut out = String::new();
        for p in &self.pieces {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Param(n) => out.push_str(&encode(params.get(n).map_or("", String::as_str))),
                Piece::Env(v) => match env(v) {
                    Some(value) => out.push_str(&value),
                    None => out.push_str(super::redact::REDACTED),
                },
            }
        }
        out
    }
}

impl Template {
    /// The parameter that makes a whole path segment of this URL `.` or `..` (as such or
    /// percent-encoded), and that segment. Every URL parser resolves such a segment away, so
    /// the request would not go where the URL says; [`encode_url`] keeps every other value
    /// inside its segment.
    fn dot_segment(&self, params: &BTreeMap<String, String>) -> Option<(String, String)> {
        let mut url = String::new();
        let mut spans: Vec<(usize, usize, &str)> = Vec::new();
        for p in &self.pieces {
            match p {
                Piece::Text(t) => url.push_str(t),
                Piece::Param(n) => {
                    let start = url.len();
                    url.push_str(&encode_url(params.get(n).map_or("", String::as_str)));
                    spans.push((start, url.len(), n));
                }
                Piece::Env(_) => url.push_str(super::redact::REDACTED),
            }
        }
        let path_end = url.find(['?', '#']).unwrap_or(url.len());
        let mut start = 0;
        for segment in url[..path_end].split('/') {
            let end = start + segment.len();
            let lower = segment.to_ascii_lowercase();
            if matches!(
                lower.as_str(),
                "." | "%2e" | ".." | ".%2e" | "%2e." | "%2e%2e"
            ) && let Some((_, _, name)) = spans
                .iter()
                .find(|(a, b, _)| (a < b && *a < end && start < *b) || (start <= *a && *a <= end))
            {
                return Some((name.to_string(), segment.to_string()));
            }
            start = end + 1;
        }
        None
    }
}

fn flush(lit: &mut String, pieces: &mut Vec<Piece>) {
    if !lit.is_empty() {
        pieces.push(Piece::Text(std::mem::take(lit)));
    }
}

fn is_param_name(s: &str) -> bool {
    let mut c = s.chars();
    c.next()
        .is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
        && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
}

pub fn is_env_name(s: &str) -> bool {
    let mut c = s.chars();
    c.next()
        .is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
        && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
}

/// A parameter value refused, naming the parameter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("parameter {param}: {reason}")]
pub struct ParamError {
    pub param: String,
    pub reason: String,
}

/// A run ready to go: the exact process or request, with secrets resolved. Its `Debug` shows
/// only the redacted command.
#[derive(Clone)]
pub struct PreparedRun {
    pub action: String,
    pub params: BTreeMap<String, String>,
    pub request: Request,
    pub timeout: Duration,
    /// Every `${VAR}` value this run uses: replaced by `[redacted]` wherever output goes.
    pub redactor: Redactor,
    /// The exact argv (shell-quoted for reading) or `METHOD url`, secrets redacted.
    pub command: String,
}

impl fmt::Debug for PreparedRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PreparedRun")
            .field("action", &self.action)
            .field("command", &self.command)
            .finish_non_exhaustive()
    }
}

#[derive(Clone)]
pub enum Request {
    Exec {
        argv: Vec<String>,
        dir: Option<String>,
        env: Vec<(String, String)>,
    },
    Http {
        method: reqwest::Method,
        url: String,
        headers: Vec<(String, String)>,
        body: Option<String>,
        expect_status: ExpectStatus,
    },
}

impl CompensatingAction {
    /// Checks the given values (unknown names, missing values, patterns, choices) and adds the
    /// defaults; the result has exactly the declared parameters.
    pub fn check_params(
        &self,
        given: &BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, String>, ParamError> {
        for name in given.keys() {
            if !self.params.iter().any(|p| p.name == *name) {
                let known: Vec<&str> = self.params.iter().map(|p| p.name.as_str()).collect();
                return Err(ParamError {
                    param: name.clone(),
                    reason: if known.is_empty() {
                        format!("{} takes no parameters", self.name)
                    } else {
                        format!(
                            "not a parameter of {} (it takes {})",
                            self.name,
                            known.join(", ")
                        )
                    },
                });
            }
        }
        let mut out = BTreeMap::new();
        for p in &self.params {
            let value = match (given.get(&p.name), &p.default) {
                (Some(v), _) => v.clone(),
                (None, Some(d)) => d.clone(),
                (None, None) => {
                    return Err(ParamError {
                        param: p.name.clone(),
                        reason: format!("missing ({})", p.hint()),
                    });
                }
            };
            p.check(&value).map_err(|reason| ParamError {
                param: p.name.clone(),
                reason,
            })?;
            out.insert(p.name.clone(), value);
        }
        if let ActionKind::Http(h) = &self.kind
            && let Some((param, segment)) = h.url.dot_segment(&out)
        {
            return Err(ParamError {
                reason: format!(
                    "'{}' makes the URL path segment '{segment}', which URLs resolve away \
                     (the request would go to another path); nothing was sent",
                    out.get(&param).map_or("", String::as_str)
                ),
                param,
            });
        }
        Ok(out)
    }

    /// The names of the environment variables the action reads.
    pub fn env_vars(&self) -> Vec<String> {
        let mut v: Vec<String> = Vec::new();
        let mut add = |t: &Template| {
            for n in t.env_vars() {
                if !v.iter().any(|x| x == n) {
                    v.push(n.to_string());
                }
            }
        };
        match &self.kind {
            ActionKind::Exec(e) => e.env.iter().for_each(|(_, t)| add(t)),
            ActionKind::Http(h) => {
                add(&h.url);
                h.headers.iter().for_each(|(_, t)| add(t));
                if let Some(b) = &h.body {
                    for_each_string(b, &mut |s| {
                        if let Ok(t) = Template::parse(s, &self.param_names(), true) {
                            add(&t);
                        }
                    });
                }
            }
        }
        v
    }

    pub fn param_names(&self) -> Vec<&str> {
        self.params.iter().map(|p| p.name.as_str()).collect()
    }

    /// The exact command or request for these (checked) parameters, secrets shown as
    /// `[redacted]`: what a dry run shows and the journal records.
    pub fn command(&self, params: &BTreeMap<String, String>) -> String {
        match &self.kind {
            ActionKind::Exec(e) => {
                let argv: Vec<String> = e
                    .argv
                    .iter()
                    .map(|t| t.fill(params, &mut |_| None, plain))
                    .collect();
                shell_words(&argv)
            }
            ActionKind::Http(h) => {
                format!(
                    "{} {}",
                    h.method,
                    h.url.fill(params, &mut |_| None, encode_url)
                )
            }
        }
    }

    /// Everything a dry run shows: the command, and for HTTP the headers and body; secrets as
    /// `[redacted]`.
    pub fn preview(&self, params: &BTreeMap<String, String>) -> Vec<String> {
        let mut lines = vec![self.command(params)];
        match &self.kind {
            ActionKind::Exec(e) => {
                if let Some(d) = &e.dir {
                    lines.push(format!("in {d}"));
                }
                for (k, t) in &e.env {
                    lines.push(format!("env {k}={}", t.fill(params, &mut |_| None, plain)));
                }
            }
            ActionKind::Http(h) => {
                for (k, t) in &h.headers {
                    lines.push(format!("{k}: {}", t.fill(params, &mut |_| None, plain)));
                }
                if let Some(b) = &h.body {
                    lines.push(fill_json(b, params, &self.param_names(), &mut |_| None));
                }
                lines.push(format!("expecting HTTP {}", h.expect_status));
            }
        }
        lines.push(format!(
            "timeout {}",
            crate::domain::short_duration(
                chrono::Duration::from_std(self.timeout).unwrap_or_default()
            )
        ));
        lines
    }

    /// Checks the parameters, reads the `${VAR}`s through `env`, and returns the run. An
    /// unset (or empty) variable is an error naming it.
    pub fn prepare(
        &self,
        given: &BTreeMap<String, String>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<PreparedRun, PrepareError> {
        let params = self.check_params(given).map_err(PrepareError::Param)?;
        let mut secrets: Vec<String> = Vec::new();
        let mut missing: Option<String> = None;
        let mut lookup = |var: &str| -> Option<String> {
            match env(var).filter(|v| !v.is_empty()) {
                Some(v) => {
                    crate::config::secrets::remember(&v);
                    secrets.push(v.clone());
                    Some(v)
                }
                None => {
                    missing.get_or_insert_with(|| var.to_string());
                    None
                }
            }
        };
        let request = match &self.kind {
            ActionKind::Exec(e) => Request::Exec {
                argv: e
                    .argv
                    .iter()
                    .map(|t| t.fill(&params, &mut lookup, plain))
                    .collect(),
                dir: e.dir.clone(),
                env: e
                    .env
                    .iter()
                    .map(|(k, t)| (k.clone(), t.fill(&params, &mut lookup, plain)))
                    .collect(),
            },
            ActionKind::Http(h) => Request::Http {
                method: h.method.clone(),
                url: h.url.fill(&params, &mut lookup, encode_url),
                headers: h
                    .headers
                    .iter()
                    .map(|(k, t)| (k.clone(), t.fill(&params, &mut lookup, plain)))
                    .collect(),
                body: h
                    .body
                    .as_ref()
                    .map(|b| fill_json(b, &params, &self.param_names(), &mut lookup)),
                expect_status: h.expect_status.clone(),
            },
        };
        if let Some(var) = missing {
            return Err(PrepareError::Env {
                action: self.name.clone(),
                var,
            });
        }
        let redactor = Redactor::new(secrets);
        Ok(PreparedRun {
            action: self.name.clone(),
            command: redactor.redact(&self.command(&params)),
            params,
            request,
            timeout: self.timeout,
            redactor,
        })
    }
}

/// Why a run could not be prepared.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrepareError {
    #[error("{0}")]
    Param(ParamError),
    #[error("environment variable {var} is not set (action {action} needs it)")]
    Env { action: String, var: String },
}

fn plain(s: &str) -> String {
    s.to_string()
}

/// Percent-encodes a parameter value for a URL: only unreserved characters pass.
fn encode_url(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Fills every string (keys too) of a JSON template and writes it out: values become JSON
/// strings, escaped by the serializer.
fn fill_json(
    v: &serde_json::Value,
    params: &BTreeMap<String, String>,
    names: &[&str],
    env: &mut dyn FnMut(&str) -> Option<String>,
) -> String {
    fn walk(
        v: &serde_json::Value,
        params: &BTreeMap<String, String>,
        names: &[&str],
        env: &mut dyn FnMut(&str) -> Option<String>,
    ) -> serde_json::Value {
        use serde_json::Value;
        let fill = |s: &str, env: &mut dyn FnMut(&str) -> Option<String>| -> String {
            // Checked at load; a template that no longer parses is left as written.
            match Template::parse(s, names, true) {
                Ok(t) => t.fill(params, env, plain),
                Err(_) => s.to_string(),
            }
        };
        match v {
            Value::String(s) => Value::String(fill(s, env)),
            Value::Array(a) => {
                Value::Array(a.iter().map(|x| walk(x, params, names, env)).collect())
            }
            Value::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, x)| (fill(k, env), walk(x, params, names, env)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
    serde_json::to_string(&walk(v, params, names, env)).unwrap_or_default()
}

/// Calls `f` on every string (keys included) of a JSON value.
pub fn for_each_string(v: &serde_json::Value, f: &mut dyn FnMut(&str)) {
    use serde_json::Value;
    match v {
        Value::String(s) => f(s),
        Value::Array(a) => a.iter().for_each(|x| for_each_string(x, f)),
        Value::Object(o) => o.iter().for_each(|(k, x)| {
            f(k);
            for_each_string(x, f)
        }),
        _ => {}
    }
}

/// argv as a reader (or a shell) would need it to see each argument exactly.
pub fn shell_words(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            let safe = !a.is_empty()
                && a.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_@%+=:,./-".contains(&b));
            if safe {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_keeps_braces_that_are_not_parameters() {
        let t = Template::parse(
            r#"sum(rate(x{service="{service}"}[1m])) {{literal}}"#,
            &["service"],
            false,
        )
        .unwrap();
        let params = BTreeMap::from([("service".to_string(), "checkout".to_string())]);
        assert_eq!(
            t.fill(&params, &mut |_| None, plain),
            r#"sum(rate(x{service="checkout"}[1m])) {literal}"#
        );
        assert!(Template::parse("{nope}", &["service"], false).is_err());
        assert!(Template::parse("${TOKEN}", &[], false).is_err());
        assert!(Template::parse("${TOKEN", &[], true).is_err());
    }

    #[test]
    fn a_value_is_never_expanded_twice() {
        let t = Template::parse("a{x}b${V}", &["x"], true).unwrap();
        let params = BTreeMap::from([("x".to_string(), "${V}{x}".to_string())]);
        let got = t.fill(&params, &mut |_| Some("secret".into()), plain);
        assert_eq!(got, "a${V}{x}bsecret");
    }

    #[test]
    fn expectations_read_and_compare() {
        let e = Expectation::parse("< 0.01").unwrap();
        assert!(e.holds(0.001) && !e.holds(0.01) && !e.holds(f64::NAN));
        assert!(Expectation::parse("==0").unwrap().holds(0.0));
        assert!(Expectation::parse(">= 5").unwrap().holds(5.0));
        assert!(Expectation::parse("about 3").is_err());
        assert!(Expectation::parse("< x").is_err());
    }

    #[test]
    fn shell_words_quote_what_a_shell_would_split() {
        let argv = ["flagctl", "set", "a; rm -rf /", "it's"].map(String::from);
        assert_eq!(shell_words(&argv), r"flagctl set 'a; rm -rf /' 'it'\''s'");
    }
}
