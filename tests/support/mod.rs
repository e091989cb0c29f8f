pub mod chromium;
pub mod cli;
pub mod console;
pub mod datadog;
pub mod e2e;
pub mod graphite;
pub mod graphql;
pub mod icinga;
pub mod intake;
pub mod moto;
pub mod nagios;
pub mod newrelic;
pub mod ngircd;
pub mod opsgenie;
pub mod opsgenie_doubles;
pub mod pagerduty;
pub mod pg_children;
pub mod pg_proxy;
pub mod postgres;
pub mod receiver;
pub mod release;
pub mod report_fixture;
pub mod sensu;
pub mod servers;
pub mod spec;
pub mod stores;
pub mod tmux;

/// Whether `pid` runs (exists and is neither a zombie nor dead), per /proc.
pub fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        !matches!(
            s.rsplit(')')
                .next()
                .and_then(|r| r.split_whitespace().next()),
            Some("Z") | Some("X")
        )
    })
}
