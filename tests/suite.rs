//! warroom's integration tests, built as one test binary.
//!
//! Each file under tests/ is a module here. One binary instead of one per file: the suite
//! links the dependency set once, not fifty times (which took gigabytes of disk and minutes of
//! linking on a 2-core machine). `suite_lists_every_test_file` below keeps this list whole.
//! Run one file's tests with `cargo test --test suite console_views::`.

mod common;
mod fuzz_targets;
mod postmortem_fixture;
mod share_common;
mod support;

mod actions_cli;
mod actions_exec;
mod actions_http;
mod actions_redaction;
mod actions_verify_live;
mod alert_review;
mod alertmanager_live;
mod alerts_in_incident;
mod backend_failures;
mod bad_durations;
mod blast_radius;
mod blast_radius_live;
mod broken_pipe;
mod catalog_cycles;
mod charts_export;
mod charts_screenshot;
mod cli_alerts;
mod cli_bad_input;
mod cli_export;
mod cli_incident_lifecycle;
mod cli_practice;
mod cli_usability;
mod cloudwatch_live;
mod cloudwatch_sigv4;
mod concurrent_appenders;
mod config_broken_part;
mod config_errors;
mod config_reference;
mod console_actions;
mod console_blind;
mod console_cadence;
mod console_corrections;
mod console_draft_kept;
mod console_first_frame;
mod console_impact;
mod console_keys;
mod console_oncall;
mod console_outbox;
mod console_postmortem;
mod console_practice;
mod console_reducer;
mod console_resolve;
mod console_roll;
mod console_start_down;
mod console_store;
mod console_text;
mod console_views;
mod console_watch;
mod console_write_back;
mod corrections_cli;
mod crash_safety;
mod datadog_api;
mod datadog_events;
mod demo_api;
mod demo_cli;
mod demo_drafts;
mod demo_runbook;
mod demo_simulator;
mod doctor_live;
mod drill_cli;
mod drill_live;
mod drill_marks;
mod drill_review;
mod drill_scenarios;
mod e2e_actions;
mod e2e_console;
mod e2e_corrections;
mod e2e_demo;
mod e2e_drill_review;
mod e2e_hosted;
mod e2e_outbox;
mod e2e_practice;
mod e2e_roll_call;
mod e2e_share_fds;
mod e2e_status_updates;
mod e2e_text;
mod e2e_two_machines;
mod follower_role;
mod fuzz_smoke;
mod grafana_paths;
mod graphite_live;
mod icinga_live;
mod intake_alertmanager_live;
mod intake_push;
mod intake_sns;
mod irc_delivery;
mod journal_damage;
mod journal_format;
mod journal_large;
mod journal_numbers;
mod journal_redaction;
mod journal_redaction_property;
mod journal_replay_property;
mod journal_summary;
mod lead_refusal;
mod lead_reserve;
mod leader_lock;
mod nagios_live;
mod newer_version_events;
mod newrelic_api;
mod oncall_opsgenie;
mod oncall_paging;
mod opsgenie_api;
mod packaging;
mod page_limit;
mod pagerduty_api;
mod pagerduty_link;
mod postmortem_blameless;
mod postmortem_export;
mod prometheus_live;
mod report;
mod report_follow_ups;
mod report_kept;
mod report_suspects;
mod roll_call_cli;
mod sensu_api;
mod seyren_api;
mod share_follow_line;
mod share_page;
mod share_pg_tail;
mod share_resume;
mod share_security;
mod share_tls;
mod spec_checker;
mod store_lead;
mod store_pg_cli;
mod store_pg_concurrency;
mod store_pg_faults;
mod store_pg_journal;
mod store_pg_locks;
mod store_pg_outbox;
mod store_pg_secret;
mod store_pg_tls;
mod store_pg_watch;
mod store_seam_cli;
mod terminal_escapes;
mod webhook_delivery;

/// A test file under tests/ that is not declared above would silently never run.
#[test]
fn suite_lists_every_test_file() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let me = std::fs::read_to_string(dir.join("suite.rs")).unwrap();
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        if path.extension().is_some_and(|e| e == "rs")
            && stem != "suite"
            && !me.contains(&format!("\nmod {stem};\n"))
        {
            missing.push(stem.to_string());
        }
    }
    assert!(
        missing.is_empty(),
        "tests/suite.rs does not declare: {missing:?}"
    );
}
