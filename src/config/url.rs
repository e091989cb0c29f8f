//! What a configured base URL must be, checked where the config is read (file:line) and again
//! by the clients that use it (`backends::http::check_url` wraps this one rule).

/// PagerDuty's REST API, unless `[pagerduty] url` says otherwise.
pub const PAGERDUTY_URL: &str = "https://api.pagerduty.com";

/// A base URL: http(s), a host, no query or fragment, no credentials. Returns it without a
/// trailing `/`, or the reason in words.
pub fn base_url(base_url: &str) -> Result<String, String> {
    let parsed = reqwest::Url::parse(base_url.trim()).map_err(|e| e.to_string())?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err("must start with http:// or https://".into());
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err("no host".into());
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err("must not carry a query or fragment".into());
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("must not carry credentials; name an environment variable instead".into());
    }
    Ok(parsed.as_str().trim_end_matches('/').to_string())
}
