//! `runbook.toml`: the compensating actions a call leader may run from the console or with
//! `warroom run`. Read into [`crate::actions::Runbook`]; every mistake names file, line and
//! column.
//!
//! ```toml
//! [[action]]
//! name = "flag-off"                      # unique; `warroom run ID flag-off`
//! description = "Turn a feature flag off"
//! kind = "exec"                          # or "http"
//! argv = ["flagctl", "set", "{flag}", "off"]   # no shell; {param} fills one argument
//! dir = "/srv/ops"                       # optional working directory
//! timeout = "30s"                        # default 60s; the whole process group is killed
//! confirm = true                         # ask first
//! dangerous = false                      # ask by having the name typed
//! undo = "flag-on"                       # another action of this file
//! verify = { promql = "sum(rate(http_errors_total[1m]))", expect = "< 0.01", within = "5m" }
//!                                        # or { graphite = "sumSeries(stats.errors)", … }
//! [action.env]
//! FLAG_TOKEN = "${FLAG_API_TOKEN}"       # from warroom's environment; a secret
//! [[action.param]]
//! name = "flag"
//! pattern = "^[a-z0-9-]+$"               # or choices = [...], or from = "blast_radius"
//!
//! [[action]]
//! name = "flag-on"
//! kind = "http"
//! method = "POST"
//! url = "https://flags.example/api/admin/projects/default/features/{flag}/environments/production/on"
//! headers = { Authorization = "${UNLEASH_TOKEN}" }
//! body = '{"reason": "{flag} back on"}'  # JSON; parameters go in as JSON strings
//! expect_status = [200, 202]             # default: any 2xx
//! [[action.param]]
//! name = "flag"
//! choices = ["checkout-v2", "new-pricing"]
//! ```

use super::runbook::{
    ActionKind, CompensatingAction, ExecSpec, ExpectStatus, Expectation, HttpSpec, ParamRule,
    ParamSpec, Runbook, SERVICE_NAME_PATTERN, Template, VerifySpec, for_each_string, is_env_name,
    whole_value_regex,
};
use crate::config::{ConfigError, parse_toml};
use crate::domain::parse_duration;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;
use std::time::Duration;
use toml::Spanned;

/// Default time a run may take.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// The longest timeout accepted: a compensating action is not a batch job.
const MAX_TIMEOUT: Duration = Duration::from_secs(6 * 3600);

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RunbookFile {
    #[serde(default, rename = "action")]
    actions: Vec<ActionEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionEntry {
    name: Spanned<String>,
    description: Option<String>,
    kind: Spanned<String>,
    // exec
    argv: Option<Spanned<Vec<Spanned<String>>>>,
    dir: Option<Spanned<String>>,
    env: Option<Spanned<BTreeMap<Spanned<String>, Spanned<String>>>>,
    // http
    method: Option<Spanned<String>>,
    url: Option<Spanned<String>>,
    headers: Option<Spanned<BTreeMap<Spanned<String>, Spanned<String>>>>,
    body: Option<Spanned<toml::Value>>,
    expect_status: Option<Spanned<toml::Value>>,
    // both
    timeout: Option<Spanned<String>>,
    #[serde(default)]
    confirm: bool,
    #[serde(default)]
    dangerous: bool,
    undo: Option<Spanned<String>>,
    verify: Option<Spanned<VerifyEntry>>,
    #[serde(default, rename = "param")]
    params: Vec<ParamEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyEntry {
    promql: Option<Spanned<String>>,
    graphite: Option<Spanned<String>>,
    cloudwatch: Option<Spanned<crate::config::cloudwatch::CloudWatchEntry>>,
    datadog: Option<Spanned<String>>,
    nrql: Option<Spanned<String>>,
    expect: Spanned<String>,
    within: Option<Spanned<String>>,
    every: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ParamEntry {
    name: Spanned<String>,
    description: Option<String>,
    pattern: Option<Spanned<String>>,
    choices: Option<Spanned<Vec<String>>>,
    from: Option<Spanned<String>>,
    default: Option<Spanned<String>>,
}

/// Reads the runbook beside `config.toml`; a missing file is an empty runbook.
pub fn load_runbook(path: &Path) -> Result<Runbook, ConfigError> {
    crate::config::load_or_default(path, parse_runbook)
}

pub fn parse_runbook(path: &Path, text: &str) -> Result<Runbook, ConfigError> {
    let file: RunbookFile = parse_toml(path, text)?;
    let at = |span: std::ops::Range<usize>, reason: String| {
        ConfigError::at(path, text, span.start, reason)
    };
    let mut actions: Vec<CompensatingAction> = Vec::new();
    let mut undos: Vec<(String, Spanned<String>)> = Vec::new();
    for e in file.actions {
        let name = e.name.get_ref().trim().to_string();
        let here = e.name.span();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        {
            return Err(at(
                here,
                format!(
                    "action.name: '{name}' must be a word of letters, digits, '-', '_' or '.' \
                     (it is typed in `warroom run`)"
                ),
            ));
        }
        if actions.iter().any(|a| a.name == name) {
            return Err(at(here, format!("action.name: '{name}' is defined twice")));
        }
        let what = |field: &str| format!("action {name}: {field}");
        let params = params_of(&name, e.params, &at)?;
        let names: Vec<&str> = params.iter().map(|p| p.name.as_str()).collect();
        let template = |s: &Spanned<String>, field: &str, env: bool| {
            Template::parse(s.get_ref(), &names, env)
                .map_err(|r| at(s.span(), format!("{}: {r}", what(field))))
        };
        let exec_only: [(&str, Option<Range<usize>>); 3] = [
            ("argv", e.argv.as_ref().map(|a| a.span())),
            ("dir", e.dir.as_ref().map(|a| a.span())),
            ("env", e.env.as_ref().map(|a| a.span())),
        ];
        let http_only: [(&str, Option<Range<usize>>); 5] = [
            ("method", e.method.as_ref().map(|a| a.span())),
            ("url", e.url.as_ref().map(|a| a.span())),
            ("headers", e.headers.as_ref().map(|a| a.span())),
            ("body", e.body.as_ref().map(|a| a.span())),
            ("expect_status", e.expect_status.as_ref().map(|a| a.span())),
        ];
        let kind = match e.kind.get_ref().as_str() {
            "exec" => {
                if let Some((field, Some(span))) =
                    http_only.iter().find(|(_, s)| s.is_some()).cloned()
                {
                    return Err(at(
                        span,
                        format!("{}: {field} is for kind = \"http\"", what(field)),
                    ));
                }
                let Some(argv) = e.argv else {
                    return Err(at(
                        e.kind.span(),
                        format!(
                            "{}: kind = \"exec\" needs argv = [\"program\", \"arg\", …]",
                            what("argv")
                        ),
                    ));
                };
                let argv_span = argv.span();
                let argv = argv.into_inner();
                let Some(program) = argv.first() else {
                    return Err(at(argv_span, format!("{}: is empty", what("argv"))));
                };
                if program.get_ref().trim().is_empty() {
                    return Err(at(
                        program.span(),
                        format!("{}: the program is empty", what("argv")),
                    ));
                }
                let program_t = template(program, "argv[0]", false)?;
                if program_t.params().next().is_some() {
                    return Err(at(
                        program.span(),
                        format!(
                            "{}: the program must be fixed text, not a parameter",
                            what("argv[0]")
                        ),
                    ));
                }
                let mut args = vec![program_t];
                for (n, a) in argv.iter().enumerate().skip(1) {
                    args.push(template(a, &format!("argv[{n}]"), false)?);
                }
                let mut env = Vec::new();
                for (k, v) in e.env.map(Spanned::into_inner).unwrap_or_default() {
                    if !is_env_name(k.get_ref()) {
                        return Err(at(
                            k.span(),
                            format!(
                                "{}: '{}' is not an environment variable name",
                                what("env"),
                                k.get_ref()
                            ),
                        ));
                    }
                    let t = template(&v, &format!("env.{}", k.get_ref()), true)?;
                    env.push((k.into_inner(), t));
                }
                let dir = match e.dir {
                    Some(d) => {
                        let t = template(&d, "dir", false)?;
                        if t.params().next().is_some() {
                            return Err(at(
                                d.span(),
                                format!("{}: must be fixed text, not a parameter", what("dir")),
                            ));
                        }
                        Some(d.into_inner())
                    }
                    None => None,
                };
                ActionKind::Exec(ExecSpec {
                    argv: args,
                    dir,
                    env,
                })
            }
            "http" => {
                if let Some((field, Some(span))) =
                    exec_only.iter().find(|(_, s)| s.is_some()).cloned()
                {
                    return Err(at(
                        span,
                        format!("{}: {field} is for kind = \"exec\"", what(field)),
                    ));
                }
                let Some(url) = e.url else {
                    return Err(at(
                        e.kind.span(),
                        format!("{}: kind = \"http\" needs url = \"https://…\"", what("url")),
                    ));
                };
                let url_t = template(&url, "url", true)?;
                // The scheme and host must be fixed text or come from the environment.
                let head = match url_t.pieces.first() {
                    Some(super::runbook::Piece::Text(t)) => Some(t.as_str()),
                    Some(super::runbook::Piece::Env(_)) => None,
                    _ => Some(""),
                };
                if let Some(head) = head
                    && !(head.starts_with("http://") || head.starts_with("https://"))
                {
                    return Err(at(
                        url.span(),
                        format!(
                            "{}: must start with http:// or https:// (or ${{VAR}})",
                            what("url")
                        ),
                    ));
                }
                let method_text = e.method.as_ref().map_or("POST".to_string(), |m| {
                    m.get_ref().trim().to_ascii_uppercase()
                });
                let method = match method_text.as_str() {
                    "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" => {
                        reqwest::Method::from_bytes(method_text.as_bytes()).map_err(|_| {
                            at(e.kind.span(), format!("{}: bad method", what("method")))
                        })?
                    }
                    other => {
                        let span = e.method.as_ref().map_or(e.kind.span(), |m| m.span());
                        return Err(at(
                            span,
                            format!(
                                "{}: '{other}' is not one of GET, POST, PUT, PATCH, DELETE, HEAD",
                                what("method")
                            ),
                        ));
                    }
                };
                let mut headers = Vec::new();
                for (k, v) in e.headers.map(Spanned::into_inner).unwrap_or_default() {
                    if reqwest::header::HeaderName::from_bytes(k.get_ref().as_bytes()).is_err() {
                        return Err(at(
                            k.span(),
                            format!(
                                "{}: '{}' is not a header name",
                                what("headers"),
                                k.get_ref()
                            ),
                        ));
                    }
                    let t = template(&v, &format!("headers.{}", k.get_ref()), true)?;
                    headers.push((k.into_inner(), t));
                }
                let body = match e.body {
                    None => None,
                    Some(b) => {
                        let span = b.span();
                        let json = match b.into_inner() {
                            toml::Value::String(s) => serde_json::from_str::<serde_json::Value>(&s)
                                .map_err(|err| {
                                    at(
                                        span.clone(),
                                        format!(
                                            "{}: not JSON ({err}); parameters go inside JSON strings: \"{{name}}\"",
                                            what("body")
                                        ),
                                    )
                                })?,
                            other => serde_json::to_value(&other).map_err(|err| {
                                at(span.clone(), format!("{}: {err}", what("body")))
                            })?,
                        };
                        let mut problem = None;
                        for_each_string(&json, &mut |s| {
                            if problem.is_none()
                                && let Err(r) = Template::parse(s, &names, true)
                            {
                                problem = Some(r);
                            }
                        });
                        if let Some(r) = problem {
                            return Err(at(span, format!("{}: {r}", what("body"))));
                        }
                        Some(json)
                    }
                };
                let expect_status = match e.expect_status {
                    None => ExpectStatus::AnySuccess,
                    Some(s) => {
                        let span = s.span();
                        let bad = || {
                            at(
                                span.clone(),
                                format!(
                                    "{}: write a status (200) or a list ([200, 204]) of 100 to 599",
                                    what("expect_status")
                                ),
                            )
                        };
                        let one = |v: &toml::Value| {
                            v.as_integer()
                                .filter(|n| (100..=599).contains(n))
                                .map(|n| n as u16)
                        };
                        match s.into_inner() {
                            toml::Value::Array(list) if !list.is_empty() => ExpectStatus::OneOf(
                                list.iter()
                                    .map(one)
                                    .collect::<Option<Vec<u16>>>()
                                    .ok_or_else(bad)?,
                            ),
                            v => ExpectStatus::OneOf(vec![one(&v).ok_or_else(bad)?]),
                        }
                    }
                };
                ActionKind::Http(HttpSpec {
                    method,
                    url: url_t,
                    headers,
                    body,
                    expect_status,
                })
            }
            other => {
                return Err(at(
                    e.kind.span(),
                    format!(
                        "{}: must be \"exec\" or \"http\", not \"{other}\"",
                        what("kind")
                    ),
                ));
            }
        };
        let timeout = match &e.timeout {
            None => DEFAULT_TIMEOUT,
            Some(t) => positive_duration(t, &what("timeout"), &at)?,
        };
        if timeout > MAX_TIMEOUT {
            let span = e.timeout.as_ref().map_or(here.clone(), |t| t.span());
            return Err(at(span, format!("{}: at most 6h", what("timeout"))));
        }
        let verify = match e.verify {
            None => None,
            Some(v) => {
                let whole = v.span();
                let v = v.into_inner();
                let (query, span) = crate::config::services::one_query(
                    [
                        ("promql", v.promql),
                        ("graphite", v.graphite),
                        ("datadog", v.datadog),
                        ("nrql", v.nrql),
                    ],
                    v.cloudwatch,
                    &what("verify"),
                    whole,
                )
                .map_err(|(span, reason)| at(span, reason))?;
                let templates = query
                    .texts()
                    .into_iter()
                    .map(|t| Template::parse(t, &names, false))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|r| {
                        at(
                            span.clone(),
                            format!("{}: {r}", what(&format!("verify.{}", query.key()))),
                        )
                    })?;
                let expect = Expectation::parse(v.expect.get_ref())
                    .map_err(|r| at(v.expect.span(), format!("{}: {r}", what("verify.expect"))))?;
                let within = match &v.within {
                    Some(w) => positive_duration(w, &what("verify.within"), &at)?,
                    None => Duration::from_secs(300),
                };
                let every = match &v.every {
                    Some(w) => positive_duration(w, &what("verify.every"), &at)?,
                    None => Duration::from_secs(5),
                };
                Some(VerifySpec {
                    query,
                    templates,
                    expect,
                    within,
                    every,
                })
            }
        };
        if let Some(u) = &e.undo {
            undos.push((name.clone(), u.clone()));
        }
        actions.push(CompensatingAction {
            name: name.clone(),
            description: e.description.unwrap_or_default().trim().to_string(),
            kind,
            timeout,
            confirm: e.confirm || e.dangerous,
            dangerous: e.dangerous,
            undo: e.undo.map(|u| u.into_inner().trim().to_string()),
            verify,
            params,
        });
    }
    for (name, undo) in undos {
        let target = undo.get_ref().trim();
        if target == name {
            return Err(at(
                undo.span(),
                format!("action {name}: undo names the action itself"),
            ));
        }
        if !actions.iter().any(|a| a.name == target) {
            return Err(at(
                undo.span(),
                format!("action {name}: undo = \"{target}\" names no action in this runbook"),
            ));
        }
    }
    Ok(Runbook { actions })
}

fn positive_duration(
    s: &Spanned<String>,
    field: &str,
    at: &dyn Fn(Range<usize>, String) -> ConfigError,
) -> Result<Duration, ConfigError> {
    let d = parse_duration(s.get_ref()).map_err(|r| at(s.span(), format!("{field}: {r}")))?;
    if d <= chrono::Duration::zero() {
        return Err(at(s.span(), format!("{field}: must be more than zero")));
    }
    d.to_std()
        .map_err(|_| at(s.span(), format!("{field}: out of range")))
}

fn params_of(
    action: &str,
    entries: Vec<ParamEntry>,
    at: &dyn Fn(Range<usize>, String) -> ConfigError,
) -> Result<Vec<ParamSpec>, ConfigError> {
    let mut out: Vec<ParamSpec> = Vec::new();
    for p in entries {
        let name = p.name.get_ref().trim().to_string();
        let what = format!("action {action}, param {name}");
        let valid_name = {
            let mut c = name.chars();
            c.next()
                .is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
                && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
        };
        if !valid_name {
            return Err(at(
                p.name.span(),
                format!(
                    "action {action}: param name '{name}' must start with a letter and hold \
                     only letters, digits, '-' and '_'"
                ),
            ));
        }
        if out.iter().any(|q| q.name == name) {
            return Err(at(
                p.name.span(),
                format!("action {action}: param '{name}' is defined twice"),
            ));
        }
        let regex = |s: &Spanned<String>| {
            whole_value_regex(s.get_ref()).map_err(|e| {
                let why = e.to_string();
                let why = why.lines().last().unwrap_or("").trim().to_string();
                at(
                    s.span(),
                    format!("{what}: pattern is not a valid regex: {why}"),
                )
            })
        };
        let rule = match (&p.pattern, &p.choices, &p.from) {
            (Some(pat), None, None) => ParamRule::Pattern(regex(pat)?),
            (None, Some(choices), None) => {
                let list = choices.get_ref().clone();
                if list.is_empty() {
                    return Err(at(choices.span(), format!("{what}: choices is empty")));
                }
                if let Some(bad) = list
                    .iter()
                    .find(|c| c.is_empty() || c.chars().any(char::is_control))
                {
                    return Err(at(
                        choices.span(),
                        format!("{what}: choice {bad:?} must be non-empty text on one line"),
                    ));
                }
                ParamRule::Choices(list)
            }
            (pattern, None, Some(from)) => {
                if from.get_ref() != "blast_radius" {
                    return Err(at(
                        from.span(),
                        format!(
                            "{what}: from = \"{}\" is unknown (the one source is \"blast_radius\")",
                            from.get_ref()
                        ),
                    ));
                }
                let re = match pattern {
                    Some(pat) => regex(pat)?,
                    None => whole_value_regex(SERVICE_NAME_PATTERN)
                        .map_err(|e| at(from.span(), format!("{what}: {e}")))?,
                };
                ParamRule::BlastRadius(re)
            }
            (None, None, None) => {
                return Err(at(
                    p.name.span(),
                    format!(
                        "{what}: give a pattern, choices or from = \"blast_radius\" \
                         (a value goes into a command, so it must be checked)"
                    ),
                ));
            }
            _ => {
                return Err(at(
                    p.name.span(),
                    format!("{what}: give only one of pattern and choices"),
                ));
            }
        };
        let spec = ParamSpec {
            name: name.clone(),
            description: p.description,
            rule,
            default: p.default.as_ref().map(|d| d.get_ref().clone()),
        };
        if let Some(d) = &p.default
            && let Err(r) = spec.check(d.get_ref())
        {
            return Err(at(d.span(), format!("{what}: default {r}")));
        }
        out.push(spec);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::MetricQuery;

    fn parse(text: &str) -> Result<Runbook, ConfigError> {
        parse_runbook(Path::new("runbook.toml"), text)
    }

    #[test]
    fn the_module_example_reads() {
        let doc = include_str!("runbook_toml.rs");
        let example: String = doc
            .lines()
            .skip_while(|l| !l.starts_with("//! ```toml"))
            .skip(1)
            .take_while(|l| !l.starts_with("//! ```"))
            .map(|l| l.strip_prefix("//! ").unwrap_or("").to_string() + "\n")
            .collect();
        let r = parse(&example).unwrap();
        assert_eq!(r.actions.len(), 2);
        assert_eq!(r.actions[0].env_vars(), vec!["FLAG_API_TOKEN".to_string()]);
        assert_eq!(r.actions[1].env_vars(), vec!["UNLEASH_TOKEN".to_string()]);
    }

    #[test]
    fn the_example_runbook_reads_and_every_compensation_can_be_verified_and_undone() {
        let r = parse(include_str!("../../docs/runbook.example.toml")).unwrap();
        for name in ["flag-off", "rollback", "shed-load", "degraded-mode"] {
            let a = r.get(name).unwrap_or_else(|| panic!("{name} missing"));
            assert!(a.verify.is_some(), "{name} has no verify");
            let undo = a
                .undo
                .as_deref()
                .unwrap_or_else(|| panic!("{name} has no undo"));
            assert!(r.get(undo).is_some(), "{name}: undo {undo} missing");
        }
        assert!(r.get("rollback").unwrap().dangerous);
        let shed = r.get("shed-load").unwrap();
        let params = BTreeMap::from([("service".to_string(), "checkout".to_string())]);
        let run = shed
            .prepare(&params, &|v| {
                (v == "GATEWAY_ADMIN_TOKEN").then(|| "gw-secret-1".into())
            })
            .unwrap();
        let crate::actions::Request::Http { body, headers, .. } = &run.request else {
            panic!("http expected")
        };
        let body: serde_json::Value = serde_json::from_str(body.as_deref().unwrap()).unwrap();
        assert_eq!(body["shed_percent"], "10");
        assert_eq!(body["reason"], "warroom: shed 10% on checkout");
        assert_eq!(headers[0].1, "Bearer gw-secret-1");
        assert_eq!(
            run.command,
            "PUT https://gateway-admin.internal.example/v1/services/checkout/load-shedding"
        );
    }

    #[test]
    fn a_cloudwatch_verify_takes_parameters_in_its_namespace_metric_and_dimensions() {
        let r = parse(
            "[[action]]\nname = \"drain\"\nkind = \"exec\"\nargv = [\"true\"]\n\
             verify = { cloudwatch = { namespace = \"Shop/{service}\", metric = \"Errors\", dimensions = { service = \"{service}\", env = \"prod\" }, stat = \"Sum\", period = \"5m\" }, expect = \"< 1\" }\n\
             [[action.param]]\nname = \"service\"\nchoices = [\"checkout\", \"search\"]\n",
        )
        .unwrap();
        let spec = r.get("drain").unwrap().verify.as_ref().unwrap();
        let params = BTreeMap::from([("service".to_string(), "checkout".to_string())]);
        let crate::domain::MetricQuery::CloudWatch(q) = crate::actions::verify::fill(spec, &params)
        else {
            panic!("a CloudWatch query expected")
        };
        assert_eq!(q.namespace, "Shop/checkout");
        assert_eq!(q.metric, "Errors");
        assert_eq!(q.dimensions["service"], "checkout");
        assert_eq!(q.dimensions["env"], "prod");
        assert_eq!((q.stat.as_str(), q.period_secs), ("Sum", 300));
        let e = parse(
            "[[action]]\nname = \"drain\"\nkind = \"exec\"\nargv = [\"true\"]\n\
             verify = { cloudwatch = { namespace = \"Shop\", metric = \"{nope}\" }, expect = \"< 1\" }\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("verify.cloudwatch"), "{e}");
    }

    #[test]
    fn a_parameter_in_argv_stays_one_argument() {
        let r = parse(
            r#"
[[action]]
name = "restart"
kind = "exec"
argv = ["kubectl", "rollout", "restart", "deployment/{service}"]
[[action.param]]
name = "service"
pattern = ".+"
"#,
        )
        .unwrap();
        let a = r.get("restart").unwrap();
        let params = BTreeMap::from([("service".to_string(), "a; rm -rf /".to_string())]);
        let run = a.prepare(&params, &|_| None).unwrap();
        match run.request {
            crate::actions::Request::Exec { argv, .. } => {
                assert_eq!(argv[3], "deployment/a; rm -rf /");
                assert_eq!(argv.len(), 4);
            }
            _ => panic!("exec expected"),
        }
        assert_eq!(
            run.command,
            "kubectl rollout restart 'deployment/a; rm -rf /'"
        );
    }

    #[test]
    fn json_bodies_escape_parameter_values() {
        let r = parse(
            r#"
[[action]]
name = "note"
kind = "http"
url = "http://flags/api/{flag}"
body = '{"reason": "{why}", "n": 1}'
[[action.param]]
name = "why"
pattern = ".+"
[[action.param]]
name = "flag"
pattern = ".+"
"#,
        )
        .unwrap();
        let a = r.get("note").unwrap();
        let params = BTreeMap::from([
            ("why".to_string(), "say \"hi\"\\ {x}".to_string()),
            ("flag".to_string(), "a/b c".to_string()),
        ]);
        let run = a.prepare(&params, &|_| None).unwrap();
        let crate::actions::Request::Http { url, body, .. } = run.request else {
            panic!("http expected")
        };
        assert_eq!(url, "http://flags/api/a%2Fb%20c");
        let v: serde_json::Value = serde_json::from_str(&body.unwrap()).unwrap();
        assert_eq!(v["reason"], "say \"hi\"\\ {x}");
        assert_eq!(v["n"], 1);
    }

    fn err(text: &str) -> (usize, String) {
        let e = parse(text).unwrap_err();
        (e.line, e.reason)
    }

    #[test]
    fn mistakes_name_the_line_and_the_reason() {
        let (line, why) = err("[[action]]\nname = \"a\"\nkind = \"shell\"\n");
        assert_eq!(line, 3);
        assert!(why.contains("must be \"exec\" or \"http\""), "{why}");

        let (line, why) = err("[[action]]\nname = \"a\"\nkind = \"exec\"\n");
        assert_eq!(line, 3);
        assert!(why.contains("needs argv"), "{why}");

        let (line, why) = err(
            "[[action]]\nname = \"a\"\nkind = \"exec\"\nargv = [\"true\"]\ntimeout = \"soon\"\n",
        );
        assert_eq!(line, 5);
        assert!(why.contains("timeout"), "{why}");

        let (line, why) =
            err("[[action]]\nname = \"a\"\nkind = \"exec\"\nargv = [\"true\"]\nundo = \"b\"\n");
        assert_eq!(line, 5);
        assert!(why.contains("undo = \"b\" names no action"), "{why}");

        let (line, why) = err(
            "[[action]]\nname = \"a\"\nkind = \"exec\"\nargv = [\"true\"]\n\n[[action]]\nname = \"a\"\nkind = \"exec\"\nargv = [\"true\"]\n",
        );
        assert_eq!(line, 7);
        assert!(why.contains("defined twice"), "{why}");

        let (line, why) = err(
            "[[action]]\nname = \"a\"\nkind = \"exec\"\nargv = [\"true\", \"{x}\"]\n[[action.param]]\nname = \"x\"\npattern = \"[a-\"\n",
        );
        assert_eq!(line, 7);
        assert!(why.contains("not a valid regex"), "{why}");

        let (line, why) =
            err("[[action]]\nname = \"a\"\nkind = \"exec\"\nargv = [\"true\"]\nshell = true\n");
        assert_eq!(line, 5);
        assert!(why.contains("shell"), "{why}");

        let (line, why) =
            err("[[action]]\nname = \"a\"\nkind = \"exec\"\nargv = [\"echo\", \"{y}\"]\n");
        assert_eq!(line, 4);
        assert!(why.contains("{y} is not a parameter"), "{why}");

        let (line, why) =
            err("[[action]]\nname = \"a\"\nkind = \"exec\"\nargv = [\"echo\", \"${TOKEN}\"]\n");
        assert_eq!(line, 4);
        assert!(why.contains("[action.env]"), "{why}");

        let (_, why) = err(
            "[[action]]\nname = \"a\"\nkind = \"exec\"\nargv = [\"true\"]\nverify = { promql = \"x\", expect = \"about 1\" }\n",
        );
        assert!(why.contains("verify.expect"), "{why}");

        let (_, why) = err(
            "[[action]]\nname = \"a\"\nkind = \"exec\"\nargv = [\"true\", \"{p}\"]\n[[action.param]]\nname = \"p\"\n",
        );
        assert!(why.contains("give a pattern, choices"), "{why}");
    }

    #[test]
    fn verify_takes_a_graphite_target_or_promql_never_both_or_neither() {
        let base = "[[action]]\nname = \"a\"\nkind = \"exec\"\nargv = [\"true\", \"{svc}\"]\n";
        let param = "[[action.param]]\nname = \"svc\"\nchoices = [\"checkout\"]\n";
        let r = parse(&format!(
            "{base}verify = {{ graphite = \"sumSeries(stats.{{svc}}.errors)\", expect = \"< 1\" }}\n{param}"
        ))
        .unwrap();
        let v = r.actions[0].verify.clone().unwrap();
        assert_eq!(
            v.query,
            MetricQuery::Graphite("sumSeries(stats.{svc}.errors)".into())
        );
        let filled = crate::actions::verify::fill(
            &v,
            &BTreeMap::from([("svc".to_string(), "checkout".to_string())]),
        );
        assert_eq!(
            filled,
            MetricQuery::Graphite("sumSeries(stats.checkout.errors)".into())
        );
        let e = parse(&format!(
            "{base}verify = {{ promql = \"up\", graphite = \"a.b\", expect = \"< 1\" }}\n{param}"
        ))
        .unwrap_err();
        assert_eq!(e.line, 5, "{e}");
        assert!(
            e.reason
                .contains("action a: verify: has both promql and graphite"),
            "{e}"
        );
        let e = parse(&format!("{base}verify = {{ expect = \"< 1\" }}\n{param}")).unwrap_err();
        assert_eq!(e.line, 5, "{e}");
        assert!(
            e.reason
                .contains("verify: needs a query: one of promql, graphite"),
            "{e}"
        );
        let e = parse(&format!(
            "{base}verify = {{ graphite = \"stats.{{nope}}\", expect = \"< 1\" }}\n{param}"
        ))
        .unwrap_err();
        assert!(
            e.reason
                .contains("verify.graphite: 'stats.{nope}': {nope} is not a parameter"),
            "{e}"
        );
    }

    #[test]
    fn parameters_are_checked_by_name() {
        let r = parse(
            r#"
[[action]]
name = "shed"
kind = "exec"
argv = ["shed", "{level}", "{service}"]
[[action.param]]
name = "level"
choices = ["10", "50"]
[[action.param]]
name = "service"
from = "blast_radius"
"#,
        )
        .unwrap();
        let a = r.get("shed").unwrap();
        let p = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>()
        };
        assert_eq!(
            a.check_params(&p(&[("level", "99"), ("service", "checkout")]))
                .unwrap_err()
                .param,
            "level"
        );
        assert_eq!(
            a.check_params(&p(&[("level", "10"), ("service", "x; rm -rf /")]))
                .unwrap_err()
                .param,
            "service"
        );
        assert_eq!(
            a.check_params(&p(&[("level", "10")])).unwrap_err().param,
            "service"
        );
        assert_eq!(
            a.check_params(&p(&[("level", "10"), ("service", "checkout"), ("x", "1")]))
                .unwrap_err()
                .param,
            "x"
        );
        assert!(
            a.check_params(&p(&[("level", "10"), ("service", "checkout")]))
                .is_ok()
        );
    }
}
