//! Label matchers as Alertmanager writes them: `service="checkout"`, `env!="dev"`,
//! `instance=~"web-.*"`, `job!~"batch|cron"`. Used for `filter=` queries, for silences, and
//! to filter alerts on our side for sources that cannot (Prometheus' alert list).

use crate::domain::LabelLookup;
use serde::{Deserialize, Serialize};
use std::fmt;

/// One matcher, in Alertmanager API v2's shape (`isEqual` defaults to true, as in the API).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Matcher {
    pub name: String,
    pub value: String,
    #[serde(default)]
    pub is_regex: bool,
    #[serde(default = "yes")]
    pub is_equal: bool,
}

fn yes() -> bool {
    true
}

impl Matcher {
    /// `name="value"`.
    pub fn equal(name: impl Into<String>, value: impl Into<String>) -> Matcher {
        Matcher {
            name: name.into(),
            value: value.into(),
            is_regex: false,
            is_equal: true,
        }
    }

    /// `name=~"regex"`.
    pub fn regex(name: impl Into<String>, value: impl Into<String>) -> Matcher {
        Matcher {
            is_regex: true,
            ..Matcher::equal(name, value)
        }
    }

    /// Parses `name="value"`, `name!="value"`, `name=~"re"`, `name!~"re"` (quotes optional,
    /// braces around it allowed). The error says what is wrong in one line.
    pub fn parse(text: &str) -> Result<Matcher, String> {
        let t = text.trim();
        let t = t
            .strip_prefix('{')
            .and_then(|r| r.strip_suffix('}'))
            .unwrap_or(t)
            .trim();
        let op_at = t
            .find(['=', '!'])
            .ok_or_else(|| format!("{text:?}: expected name=\"value\" (or !=, =~, !~)"))?;
        let name = t[..op_at].trim();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '.' || c == '-')
        {
            return Err(format!("{text:?}: bad label name {name:?}"));
        }
        let rest = &t[op_at..];
        let (is_equal, is_regex, value) = if let Some(v) = rest.strip_prefix("=~") {
            (true, true, v)
        } else if let Some(v) = rest.strip_prefix("!~") {
            (false, true, v)
        } else if let Some(v) = rest.strip_prefix("!=") {
            (false, false, v)
        } else if let Some(v) = rest.strip_prefix('=') {
            (true, false, v)
        } else {
            return Err(format!("{text:?}: expected =, !=, =~ or !~ after {name:?}"));
        };
        let value = unquote(value.trim()).map_err(|e| format!("{text:?}: {e}"))?;
        let m = Matcher {
            name: name.to_string(),
            value,
            is_regex,
            is_equal,
        };
        if m.is_regex {
            compile(&m.value).map_err(|e| format!("{text:?}: {e}"))?;
        }
        Ok(m)
    }

    fn op(&self) -> &'static str {
        match (self.is_equal, self.is_regex) {
            (true, false) => "=",
            (false, false) => "!=",
            (true, true) => "=~",
            (false, true) => "!~",
        }
    }
}

/// `name="value"` with `"` and `\` escaped: the form Alertmanager's `filter=` accepts.
impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}\"", self.name, self.op())?;
        for c in self.value.chars() {
            match c {
                '"' => f.write_str("\\\"")?,
                '\\' => f.write_str("\\\\")?,
                '\n' => f.write_str("\\n")?,
                c => write!(f, "{c}")?,
            }
        }
        f.write_str("\"")
    }
}

fn unquote(v: &str) -> Result<String, String> {
    let Some(inner) = v.strip_prefix('"') else {
        if v.contains('"') {
            return Err("unbalanced quote".into());
        }
        return Ok(v.to_string());
    };
    let inner = inner
        .strip_suffix('"')
        .ok_or_else(|| "missing closing quote".to_string())?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some(c) => out.push(c),
                None => return Err("dangling backslash".into()),
            },
            '"' => return Err("unescaped quote inside the value".into()),
            c => out.push(c),
        }
    }
    Ok(out)
}

fn compile(re: &str) -> Result<regex::Regex, String> {
    regex::Regex::new(&format!("^(?:{re})$")).map_err(|e| {
        let first = e.to_string();
        let last = first.lines().last().unwrap_or("").trim().to_string();
        format!("bad regular expression: {last}")
    })
}

/// Matchers compiled once, to test many label sets (all must match, as in Alertmanager; an
/// absent label matches as the empty string).
#[derive(Debug, Clone, Default)]
pub struct LabelFilter {
    tests: Vec<(Matcher, Option<regex::Regex>)>,
}

impl LabelFilter {
    pub fn new(matchers: &[Matcher]) -> Result<LabelFilter, String> {
        let tests = matchers
            .iter()
            .map(|m| {
                let re = if m.is_regex {
                    Some(compile(&m.value)?)
                } else {
                    None
                };
                Ok((m.clone(), re))
            })
            .collect::<Result<_, String>>()?;
        Ok(LabelFilter { tests })
    }

    pub fn is_empty(&self) -> bool {
        self.tests.is_empty()
    }

    pub fn matches(&self, labels: &(impl LabelLookup + ?Sized)) -> bool {
        self.tests.iter().all(|(m, re)| {
            let v = labels.lookup(&m.name).unwrap_or("");
            let hit = match re {
                Some(re) => re.is_match(v),
                None => v == m.value,
            };
            hit == m.is_equal
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn parses_every_operator_and_prints_it_back() {
        for (text, shown) in [
            ("service=\"checkout\"", "service=\"checkout\""),
            ("service=checkout", "service=\"checkout\""),
            ("{env!=\"dev\"}", "env!=\"dev\""),
            ("instance=~\"web-.*\"", "instance=~\"web-.*\""),
            ("job !~ \"batch|cron\"", "job!~\"batch|cron\""),
            ("msg=\"say \\\"hi\\\"\"", "msg=\"say \\\"hi\\\"\""),
        ] {
            let m = Matcher::parse(text).unwrap();
            assert_eq!(m.to_string(), shown, "{text}");
            assert_eq!(Matcher::parse(&m.to_string()).unwrap(), m);
        }
    }

    #[test]
    fn rejects_what_cannot_be_a_matcher() {
        for bad in [
            "",
            "service",
            "=x",
            "a b=c",
            "s=\"open",
            "s=~\"(\"",
            "s=\"a\"b\"",
        ] {
            assert!(Matcher::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn filters_like_alertmanager() {
        let f = LabelFilter::new(&[
            Matcher::parse("service=~\"check.*\"").unwrap(),
            Matcher::parse("env!=\"dev\"").unwrap(),
        ])
        .unwrap();
        assert!(f.matches(&labels(&[("service", "checkout"), ("env", "prod")])));
        assert!(f.matches(&labels(&[("service", "checkout")])));
        assert!(!f.matches(&labels(&[("service", "checkout"), ("env", "dev")])));
        assert!(!f.matches(&labels(&[("service", "xcheckout")])));
        let absent = LabelFilter::new(&[Matcher::equal("team", "")]).unwrap();
        assert!(absent.matches(&labels(&[])));
    }
}
