//! `check-config` names every dependency cycle of services.toml, one per group of services
//! that depend on each other in a circle, and accepts a long chain: the check is linear in
//! the catalog (its speed is measured in benches/catalog.rs, not here), so catalogs of ten
//! thousand services are checked too.

use crate::common;

use common::{run, warroom};
use warroom::domain::{Service, ServiceCatalog};

fn svc(name: &str, deps: &[String]) -> Service {
    let mut s = Service::discovered(name);
    s.depends_on = deps.to_vec();
    s
}

/// `s0 → s1 → … → s(n-1)`, closed back to `s0` when `ring`.
fn line_of(n: usize, ring: bool) -> ServiceCatalog {
    ServiceCatalog {
        services: (0..n)
            .map(|i| {
                let next = if i + 1 < n {
                    vec![format!("s{}", i + 1)]
                } else if ring {
                    vec!["s0".to_string()]
                } else {
                    vec![]
                };
                svc(&format!("s{i}"), &next)
            })
            .collect(),
    }
}

#[test]
fn a_ring_of_ten_thousand_is_one_cycle_named_in_order_and_a_chain_is_none() {
    let n = 10_000;
    let cycles = line_of(n, true).cycles();
    assert_eq!(cycles.len(), 1);
    let expected: Vec<String> = (0..n)
        .map(|i| format!("s{i}"))
        .chain(["s0".to_string()])
        .collect();
    assert_eq!(cycles[0], expected);
    assert_eq!(line_of(n, false).cycles(), Vec::<Vec<String>>::new());
}

#[test]
fn every_group_is_named_once_from_its_first_service() {
    let deps = |d: &[&str]| d.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let catalog = ServiceCatalog {
        services: vec![
            svc("web", &deps(&["checkout", "search"])),
            svc("checkout", &deps(&["payments", "ghost"])),
            svc("payments", &deps(&["ledger"])),
            svc("ledger", &deps(&["checkout", "payments"])),
            svc("search", &deps(&["search"])),
            svc("cart", &deps(&["web"])),
        ],
    };
    assert_eq!(
        catalog.cycles(),
        vec![
            deps(&["checkout", "payments", "ledger", "checkout"]),
            deps(&["search", "search"]),
        ]
    );
    assert_eq!(
        catalog.unknown_dependencies(),
        vec![("checkout".to_string(), "ghost".to_string())]
    );
}

#[test]
fn check_config_reports_the_cycles_of_a_large_catalog_and_accepts_a_long_chain() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "").unwrap();
    let write = |n: usize, ring: bool| {
        let mut text = String::new();
        for i in 0..n {
            text.push_str(&format!("[[service]]\nname = \"s{i}\"\n"));
            if i + 1 < n {
                text.push_str(&format!("depends_on = [\"s{}\"]\n", i + 1));
            } else if ring {
                text.push_str("depends_on = [\"s0\"]\n");
            }
        }
        std::fs::write(dir.path().join("services.toml"), text).unwrap();
    };
    let check = || {
        run({
            let mut c = warroom(&dir.path().join("data"), "alice");
            c.env("WARROOM_CONFIG", &config).arg("check-config");
            c
        })
    };

    write(3_000, true);
    let ran = check();
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    let warnings: Vec<&str> = ran
        .stdout
        .lines()
        .filter(|l| l.contains("dependency cycle"))
        .collect();
    assert_eq!(warnings.len(), 1, "{}", ran.stdout);
    assert!(
        warnings[0].starts_with("services.toml: WARNING: dependency cycle s0 → s1 → s2 → ")
            && warnings[0].ends_with(" → s2999 → s0"),
        "{}",
        &warnings[0][..200.min(warnings[0].len())]
    );

    write(3_000, false);
    let ran = check();
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    assert!(ran.stdout.contains("3000 services"), "{}", ran.stdout);
    assert!(!ran.stdout.contains("cycle"), "{}", ran.stdout);
}
