//! The scripted outage's data: the services, their healthy and broken numbers, the alerting
//! rules, and the config files the demo writes for the console (`config.toml`,
//! `services.toml`, `runbook.toml`). The simulator and the catalog are built from the same
//! tables, so every PromQL expression in `services.toml` is one the simulator answers.
//!
//! The story: pricing v2.31, whose new code path sits behind the `pricing-v2` feature flag,
//! began a progressive rollout a minute before the demo starts (25 % of pods a minute). Its
//! tax lookup fails for some requests; checkout calls pricing several times per order, so
//! checkout's error ratio climbs to about 30 % as the rollout completes, while cart and
//! payments (which also call pricing) degrade and search, which never calls pricing, stays
//! healthy. Turning the flag off drains the bad path over the next minute; a redeploy of a
//! known-good build takes a minute to roll out.

/// The feature flag guarding pricing's new code path.
pub const FLAG: &str = "pricing-v2";
/// The service whose deploy went bad.
pub const DEPLOYED: &str = "pricing";
/// Pricing's builds: (version, broken).
pub const BUILDS: &[(&str, bool)] = &[("v2.29", false), ("v2.30", false), ("v2.31", true)];
/// What a redeploy rolls out when no version is named: the last known-good build.
pub const KNOWN_GOOD: &str = "v2.30";
/// The build whose rollout started the outage.
pub const BAD_BUILD: &str = "v2.31";
/// Scenario time (seconds from the demo's start) at which the bad rollout began.
pub const ROLLOUT_STARTED: f64 = -60.0;
/// How long the bad build's progressive rollout takes (25 % of pods a minute).
pub const FIRST_ROLLOUT_SECS: f64 = 240.0;
/// How long a redeploy takes to roll out.
pub const REDEPLOY_SECS: f64 = 60.0;
/// How long the flag takes to drain once turned off (caches, sessions in flight).
pub const FLAG_DRAIN_SECS: f64 = 60.0;
/// Rules are evaluated every this many scenario seconds (as Prometheus evaluates its groups).
pub const EVAL_SECS: f64 = 1.0;
/// How far back a rule's start is searched for; older starts are reported as this old.
pub const MAX_LOOKBACK_SECS: f64 = 4.0 * 3600.0;

/// Error-ratio thresholds in the catalog (the same for every service).
pub const DEGRADED_ABOVE: f64 = 0.02;
pub const DOWN_ABOVE: f64 = 0.2;
/// p99 latency thresholds in the catalog, seconds.
pub const SLOW_ABOVE: f64 = 1.0;
pub const STALLED_ABOVE: f64 = 5.0;

/// The metric names the simulator's Prometheus answers (recording-rule style).
pub const ERROR_RATIO: &str = "service:http_errors:ratio_rate1m";
pub const LATENCY_P99: &str = "service:http_latency_p99:seconds";
pub const REQUEST_RATE: &str = "service:http_requests:rate1m";
pub const FLAG_METRIC: &str = "feature_flag_enabled";

/// One service of the demo's shop.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ServiceSpec {
    pub name: &'static str,
    pub tier: u8,
    pub customer_facing: bool,
    pub team: &'static str,
    pub depends_on: &'static [&'static str],
    /// Healthy error ratio, and what the bad pricing path adds at full strength.
    pub base_errors: f64,
    pub extra_errors: f64,
    /// Healthy p99 latency (seconds), and what the bad path adds at full strength.
    pub base_p99: f64,
    pub extra_p99: f64,
    /// Requests per second.
    pub rps: f64,
}

/// `(name, tier, customer_facing, team)`, dependencies, `(base, extra)` error ratio,
/// `(base, extra)` p99 latency, requests per second.
const fn svc(
    (name, tier, customer_facing, team): (&'static str, u8, bool, &'static str),
    depends_on: &'static [&'static str],
    errors: (f64, f64),
    p99: (f64, f64),
    rps: f64,
) -> ServiceSpec {
    ServiceSpec {
        name,
        tier,
        customer_facing,
        team,
        depends_on,
        base_errors: errors.0,
        extra_errors: errors.1,
        base_p99: p99.0,
        extra_p99: p99.1,
        rps,
    }
}

/// The shop. Checkout, cart and payments call pricing; search and inventory never do.
pub const SERVICES: &[ServiceSpec] = &[
    svc(
        ("web", 1, true, "web"),
        &["checkout", "cart", "search", "catalog", "auth"],
        (0.001, 0.004),
        (0.25, 0.2),
        900.0,
    ),
    svc(
        ("mobile-api", 1, true, "mobile"),
        &["checkout", "cart", "search", "catalog", "auth"],
        (0.001, 0.004),
        (0.2, 0.2),
        600.0,
    ),
    svc(
        ("checkout", 1, true, "checkout"),
        &["cart", "payments", "pricing", "inventory"],
        (0.002, 0.30),
        (0.4, 1.6),
        45.0,
    ),
    svc(
        ("cart", 1, true, "checkout"),
        &["pricing", "catalog"],
        (0.003, 0.05),
        (0.12, 0.5),
        160.0,
    ),
    svc(
        ("payments", 1, false, "payments"),
        &["pricing"],
        (0.001, 0.04),
        (0.35, 1.2),
        40.0,
    ),
    svc(
        ("pricing", 2, false, "pricing"),
        &["catalog"],
        (0.001, 0.06),
        (0.05, 0.3),
        420.0,
    ),
    svc(
        ("search", 2, true, "discovery"),
        &["catalog"],
        (0.002, 0.0),
        (0.18, 0.0),
        300.0,
    ),
    svc(
        ("inventory", 2, false, "fulfilment"),
        &["catalog"],
        (0.001, 0.0),
        (0.06, 0.0),
        90.0,
    ),
    svc(
        ("catalog", 2, false, "discovery"),
        &[],
        (0.0005, 0.0),
        (0.03, 0.0),
        1500.0,
    ),
    svc(
        ("auth", 1, false, "identity"),
        &[],
        (0.0005, 0.0),
        (0.04, 0.0),
        700.0,
    ),
];

/// What customers call the customer-facing services, for messages to them.
pub const PUBLIC_NAMES: &[(&str, &str)] = &[
    ("web", "our website"),
    ("mobile-api", "our mobile app"),
    ("checkout", "checkout"),
    ("cart", "the shopping cart"),
    ("search", "search"),
];

pub fn public_name(service: &str) -> Option<&'static str> {
    PUBLIC_NAMES
        .iter()
        .find(|(s, _)| *s == service)
        .map(|(_, p)| *p)
}

pub fn service(name: &str) -> Option<&'static ServiceSpec> {
    SERVICES.iter().find(|s| s.name == name)
}

/// Which number a rule watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Watch {
    ErrorRatio,
    LatencyP99,
    /// Always true: an alert that fires all along, unrelated to the outage.
    Always,
}

/// An alerting rule: fires once `watch` of `service` has been above `above` for `for_secs`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RuleSpec {
    pub name: &'static str,
    pub service: Option<&'static str>,
    pub severity: &'static str,
    pub team: &'static str,
    pub watch: Watch,
    pub above: f64,
    pub for_secs: f64,
    pub summary: &'static str,
}

/// The rules of the demo's Prometheus, in evaluation order.
pub const RULES: &[RuleSpec] = &[
    RuleSpec {
        name: "CheckoutErrorBudgetBurn",
        service: Some("checkout"),
        severity: "warning",
        team: "checkout",
        watch: Watch::ErrorRatio,
        above: 0.02,
        for_secs: 0.0,
        summary: "checkout is burning its error budget: more than 2% of requests fail",
    },
    RuleSpec {
        name: "CheckoutHighErrorRate",
        service: Some("checkout"),
        severity: "critical",
        team: "checkout",
        watch: Watch::ErrorRatio,
        above: 0.10,
        for_secs: 30.0,
        summary: "more than 10% of checkouts fail",
    },
    RuleSpec {
        name: "PricingErrorRate",
        service: Some("pricing"),
        severity: "warning",
        team: "pricing",
        watch: Watch::ErrorRatio,
        above: 0.03,
        for_secs: 30.0,
        summary: "pricing answers more than 3% of requests with errors",
    },
    RuleSpec {
        name: "CartErrorRate",
        service: Some("cart"),
        severity: "warning",
        team: "checkout",
        watch: Watch::ErrorRatio,
        above: 0.03,
        for_secs: 30.0,
        summary: "cart: more than 3% of requests fail",
    },
    RuleSpec {
        name: "PaymentsLatencyHigh",
        service: Some("payments"),
        severity: "warning",
        team: "payments",
        watch: Watch::LatencyP99,
        above: 1.0,
        for_secs: 30.0,
        summary: "payments p99 latency above 1s",
    },
    RuleSpec {
        name: "BatchJobLate",
        service: None,
        severity: "info",
        team: "finance",
        watch: Watch::Always,
        above: 0.0,
        for_secs: 0.0,
        summary: "nightly-reconcile finished 40 minutes late (unrelated to checkout)",
    },
];

/// The PromQL a rule is written as, for `/api/v1/rules`.
pub fn rule_query(rule: &RuleSpec) -> String {
    match (rule.watch, rule.service) {
        (Watch::ErrorRatio, Some(s)) => {
            format!("{ERROR_RATIO}{{service=\"{s}\"}} > {}", rule.above)
        }
        (Watch::LatencyP99, Some(s)) => {
            format!("{LATENCY_P99}{{service=\"{s}\"}} > {}", rule.above)
        }
        _ => "time() - nightly_reconcile_last_success_timestamp_seconds > 86400 + 2400".into(),
    }
}

/// `config.toml` for the demo: both backends at the simulator, and the status-update cadence
/// (10 minutes; every minute with `--fast`).
pub fn config_toml(base_url: &str, fast: bool) -> String {
    let (cadence, poll) = if fast { ("1m", "1s") } else { ("10m", "2s") };
    format!(
        r#"# warroom demo: a simulated Alertmanager and Prometheus served by this warroom process.
# Written for this run only; the port changes every time.

[[alertmanager]]
name = "demo-alertmanager"
url = "{base_url}"

[prometheus]
url = "{base_url}"

[alerts]
poll_interval = "{poll}"
timeout = "2s"
group_by = "service"

[status_updates]
sev1 = "{cadence}"
sev2 = "{cadence}"
sev3 = "{cadence}"
sev4 = "{cadence}"
"#
    )
}

/// `services.toml` for the demo, from [`SERVICES`].
pub fn services_toml() -> String {
    let mut out = String::from(
        "# The demo shop's services. Metrics are answered by the simulated Prometheus.\n",
    );
    for s in SERVICES {
        let deps = s
            .depends_on
            .iter()
            .map(|d| format!("\"{d}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let public = public_name(s.name)
            .map(|p| format!("public_name = \"{p}\"\n"))
            .unwrap_or_default();
        out.push_str(&format!(
            r#"
[[service]]
name = "{name}"
tier = {tier}
customer_facing = {cf}
{public}team = "{team}"
depends_on = [{deps}]
[[service.metric]]
name = "error ratio"
promql = '{ERROR_RATIO}{{service="{name}"}}'
degraded_above = {DEGRADED_ABOVE}
down_above = {DOWN_ABOVE}
[[service.metric]]
name = "p99 latency"
promql = '{LATENCY_P99}{{service="{name}"}}'
degraded_above = {SLOW_ABOVE:.1}
down_above = {STALLED_ABOVE:.1}
"#,
            name = s.name,
            tier = s.tier,
            cf = s.customer_facing,
            team = s.team,
        ));
    }
    out
}

/// `runbook.toml` for the demo: compensating actions that talk to the simulator.
pub fn runbook_toml(base_url: &str) -> String {
    let builds = BUILDS
        .iter()
        .map(|(v, _)| format!("\"{v}\""))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        r#"# The demo's compensating actions. They call the simulator, as real ones would call
# your feature-flag service or your deploy system.

[[action]]
name = "flag-off"
description = "Turn the {FLAG} feature flag off (pricing falls back to the old code path)"
kind = "http"
method = "POST"
url = "{base_url}/demo/flags/{FLAG}"
body = '{{"enabled": false}}'
timeout = "10s"
confirm = true
undo = "flag-on"
verify = {{ promql = '{ERROR_RATIO}{{service="checkout"}}', expect = "< 0.02", within = "3m", every = "5s" }}

[[action]]
name = "flag-on"
description = "Turn the {FLAG} feature flag back on"
kind = "http"
method = "POST"
url = "{base_url}/demo/flags/{FLAG}"
body = '{{"enabled": true}}'
timeout = "10s"
confirm = true

[[action]]
name = "redeploy-pricing"
description = "Redeploy pricing at a known build (takes a minute to roll out)"
kind = "http"
method = "POST"
url = "{base_url}/demo/deploy/{DEPLOYED}"
body = '{{"version": "{{version}}"}}'
timeout = "10s"
confirm = true
verify = {{ promql = '{ERROR_RATIO}{{service="checkout"}}', expect = "< 0.02", within = "3m", every = "5s" }}
[[action.param]]
name = "version"
description = "the build to roll out; {KNOWN_GOOD} is the last known-good one"
choices = [{builds}]
default = "{KNOWN_GOOD}"
"#
    )
}
