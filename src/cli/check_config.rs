//! `warroom check-config`: reads config.toml the way the console does and reports the first
//! problem with file and line (exit 2), or what it found (exit 0).

use super::{Context, Failure};
use crate::console::keymap::Keymap;
use crate::console::theme::Theme;

pub fn run(ctx: &Context, probe: bool) -> Result<(), Failure> {
    let path = &ctx.paths.config_file;
    let config = ctx.config()?;
    let (_, problems) = Keymap::with_overrides(&config.keys);
    if let Some(p) = problems.first() {
        let e = config.key_error(&p.mode, &p.key, p.part, p.to_string());
        return Err(Failure::bad_input(e.to_string()));
    }
    Theme::select(None, &config, ctx.paths.config_dir(), false)
        .map_err(|e| Failure::bad_input(e.to_string()))?;
    if !path.exists() {
        say!("{}: not found; using defaults", path.display());
    } else {
        say!("{}: ok", path.display());
    }
    let cadence: Vec<String> = crate::domain::Severity::ALL
        .iter()
        .map(|s| match config.cadence.every(*s) {
            Some(d) => format!("{s} every {}", crate::domain::short_duration(d)),
            None => format!("{s} never"),
        })
        .collect();
    say!("status updates: {}", cadence.join(", "));
    for w in &config.webhooks {
        let (name, kind) = (w.display_name(), w.kind.label());
        let found = match w.kind {
            crate::config::WebhookKind::Irc => w.irc_target().map(|t| t.shown()),
            crate::config::WebhookKind::Datadog => w
                .datadog_target()
                .map(|(url, _)| format!("events to {url} (API key set)")),
            _ => w.resolve_url().map(|_| "url set".to_string()),
        };
        match found {
            Ok(found) => say!("webhook {name} ({kind}): {found}"),
            Err(e) => say!("webhook {name} ({kind}): WARNING: {e}"),
        }
    }
    let services_path = ctx.paths.config_dir().join("services.toml");
    let catalog = crate::config::load_services(&services_path)
        .map_err(|e| Failure::bad_input(e.to_string()))?;
    if services_path.exists() {
        say!(
            "{}: {} services",
            services_path.display(),
            catalog.services.len()
        );
    } else {
        say!(
            "{}: not found; services are discovered from alert labels",
            services_path.display()
        );
    }
    for cycle in catalog.cycles() {
        say!(
            "services.toml: WARNING: dependency cycle {}",
            cycle.join(" → ")
        );
    }
    for (service, missing) in catalog.unknown_dependencies() {
        say!("services.toml: WARNING: {service} depends on {missing}, which is not in the catalog");
    }
    for s in &catalog.services {
        for m in &s.metrics {
            if !super::probe::configured(&config, &m.query) {
                say!(
                    "services.toml: WARNING: {} metric {} is a {} query, but config.toml has no [{}]",
                    s.name,
                    m.name,
                    m.query.key(),
                    m.query.source()
                );
            }
        }
    }
    super::actions::check_runbook(ctx, &config)?;
    let checklists = ctx.paths.config_dir().join("checklists.toml");
    let lists = crate::config::load_checklists(&checklists)
        .map_err(|e| Failure::bad_input(e.to_string()))?;
    let items: usize = lists.lists.iter().map(|l| l.items.len()).sum();
    if checklists.exists() {
        say!("checklists.toml: ok ({items} items)");
    } else {
        say!("checklists.toml: absent, the built-in checklists ({items} items)");
    }
    super::probe::describe(&config);
    if probe {
        super::probe::run(&config, &catalog)?;
    }
    Ok(())
}
