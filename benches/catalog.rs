//! What `warroom check-config` does with a services.toml of 10,000 services (the aim: under
//! 100 ms): parse and check the file, find the dependency cycles, list the dependencies on
//! services not in the catalog. The catalog is one ring through every service (so one cycle
//! as long as the catalog, the case that was slowest), with two more dependencies each and an
//! unknown one now and then. The reference, measured in the same process, is parsing the same
//! text into a plain `toml::Value`: the least any reading of the file must do.
//!
//! Run: `cargo bench --bench catalog`

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::Path;

const SERVICES: usize = 10_000;

fn services_toml(n: usize) -> String {
    let mut state = 0x5eed_cafe_f00d_beefu64;
    let mut below = |m: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % m as u64) as usize
    };
    let mut text = String::new();
    for i in 0..n {
        let mut deps = vec![format!("\"svc-{}\"", (i + 1) % n)];
        // Two more, never the service itself: the ring, with shortcuts across it.
        for d in [below(n), below(i.max(1))] {
            if d != i {
                deps.push(format!("\"svc-{d}\""));
            }
        }
        if i % 100 == 0 {
            deps.push(format!("\"gone-{i}\""));
        }
        text.push_str(&format!(
            "[[service]]\nname = \"svc-{i}\"\ntier = {}\ndepends_on = [{}]\n\n",
            1 + i % 3,
            deps.join(", ")
        ));
    }
    text
}

fn bench(c: &mut Criterion) {
    let text = services_toml(SERVICES);
    let path = Path::new("services.toml");
    let catalog = warroom::config::parse_services(path, &text).expect("the generated file reads");
    eprintln!(
        "catalog: {} services, {} cycle groups (the cycle named is {} services long), {} unknown dependencies, {} KB",
        catalog.services.len(),
        catalog.cycles().len(),
        catalog.cycles().iter().map(Vec::len).max().unwrap_or(0),
        catalog.unknown_dependencies().len(),
        text.len() / 1024
    );
    let mut g = c.benchmark_group("catalog_check");
    g.sample_size(20);
    g.bench_function("10000_services", |b| {
        b.iter(|| {
            let catalog = warroom::config::parse_services(path, black_box(&text)).unwrap();
            (catalog.cycles().len(), catalog.unknown_dependencies().len())
        })
    });
    g.bench_function("cycles_10000_services", |b| {
        b.iter(|| black_box(&catalog).cycles().len())
    });
    g.bench_function("reference_toml_value_10000", |b| {
        b.iter(|| toml::from_str::<toml::Value>(black_box(&text)).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
