//! The config files a drill writes for the console (`config.toml`, `services.toml`,
//! `runbook.toml`), from its scenario. The simulator and the catalog are built from the same
//! scenario, so every PromQL expression in `services.toml` is one the simulator answers, and
//! every runbook action calls the simulator's `/drill/actions/{name}`, as real ones would call
//! a feature-flag service or a deploy system.

use crate::drill::scenario::Scenario;

/// A string as a TOML basic string (JSON's escapes are TOML's).
fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// A string as a TOML literal string when it can be one (PromQL reads better without
/// escapes), else a basic string.
fn literal(s: &str) -> String {
    if s.contains('\'') || s.contains('\n') {
        quoted(s)
    } else {
        format!("'{s}'")
    }
}

fn list(items: &[String]) -> String {
    items
        .iter()
        .map(|i| quoted(i))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `config.toml` for a drill: both backends at the simulator, and the status-update cadence
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

/// `services.toml` for a drill: its services, and the signals it names for the catalog.
pub fn services_toml(scenario: &Scenario) -> String {
    let mut out =
        String::from("# The drill's services. Metrics are answered by the simulated Prometheus.\n");
    for s in &scenario.services {
        let public = s
            .public_name
            .as_ref()
            .map(|p| format!("public_name = {}\n", quoted(p)))
            .unwrap_or_default();
        out.push_str(&format!(
            "\n[[service]]\nname = {}\ntier = {}\ncustomer_facing = {}\n{public}team = {}\n\
             depends_on = [{}]\n",
            quoted(&s.name),
            s.tier,
            s.customer_facing,
            quoted(&s.team),
            list(&s.depends_on),
        ));
        for sig in &scenario.signals {
            let Some(catalog) = &sig.catalog else {
                continue;
            };
            if !s.curves.contains_key(&sig.key) {
                continue;
            }
            out.push_str(&format!(
                "[[service.metric]]\nname = {}\npromql = {}\n",
                quoted(catalog),
                literal(&format!("{}{{service=\"{}\"}}", sig.metric, s.name)),
            ));
            let b = &sig.bands;
            for (key, v) in [
                ("degraded_above", b.degraded_above),
                ("down_above", b.down_above),
                ("degraded_below", b.degraded_below),
                ("down_below", b.down_below),
            ] {
                if let Some(v) = v {
                    out.push_str(&format!("{key} = {v:?}\n"));
                }
            }
        }
    }
    out
}

/// `runbook.toml` for a drill: the scenario's actions, each an HTTP call to the simulator.
pub fn runbook_toml(scenario: &Scenario, base_url: &str) -> String {
    let mut out = String::from(
        "# The drill's compensating and diagnostic actions. They call the simulator, as real\n\
         # ones would call your feature-flag service or your deploy system.\n",
    );
    for a in &scenario.actions {
        let body = if a.params.is_empty() {
            "{}".to_string()
        } else {
            let fields: Vec<String> = a
                .params
                .iter()
                .map(|p| format!("\"{0}\": \"{{{0}}}\"", p.name))
                .collect();
            format!("{{{}}}", fields.join(", "))
        };
        out.push_str(&format!(
            "\n[[action]]\nname = {}\ndescription = {}\nkind = \"http\"\nmethod = \"POST\"\n\
             url = {}\nbody = {}\ntimeout = \"10s\"\nconfirm = {}\n",
            quoted(&a.name),
            quoted(&a.description),
            quoted(&format!("{base_url}/drill/actions/{}", a.name)),
            literal(&body),
            a.confirm,
        ));
        if let Some(undo) = &a.undo {
            out.push_str(&format!("undo = {}\n", quoted(undo)));
        }
        if let Some(v) = &a.verify
            && let Some(selector) = scenario.selector(&v.signal, &v.service)
        {
            out.push_str(&format!(
                "verify = {{ promql = {}, expect = {}, within = {}, every = {} }}\n",
                literal(&selector),
                quoted(&v.expect),
                quoted(&v.within),
                quoted(&v.every),
            ));
        }
        for p in &a.params {
            out.push_str(&format!(
                "[[action.param]]\nname = {}\ndescription = {}\nchoices = [{}]\n",
                quoted(&p.name),
                quoted(&p.description),
                list(&p.choices),
            ));
            if let Some(d) = &p.default {
                out.push_str(&format!("default = {}\n", quoted(d)));
            }
        }
    }
    out
}
