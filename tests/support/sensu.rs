//! Bodies shaped like Sensu Go's API reference (tests/fixtures/specs/sensu, written from its
//! reference documentation: Sensu publishes no machine-readable description), for the local
//! servers that stand in for a Sensu backend.
#![allow(dead_code)]

use serde_json::{Value, json};

/// The events' path in the `default` namespace.
pub const EVENTS: &str = "/api/core/v2/namespaces/default/events";
/// The silencing entries' path in the `default` namespace.
pub const SILENCED: &str = "/api/core/v2/namespaces/default/silenced";

/// An event as the reference shows one (`api/core/events.md`), with this entity, check,
/// status and check labels.
pub fn event(entity: &str, check: &str, status: u32, labels: Value) -> Value {
    json!({
        "check": {
            "command": "check-http -u http://localhost",
            "handlers": [], "interval": 60, "publish": true,
            "subscriptions": ["system"],
            "executed": 1796400060, "issued": 1796400060,
            "history": [
                {"status": 0, "executed": 1796399940},
                {"status": status, "executed": 1796400000},
                {"status": status, "executed": 1796400060}
            ],
            "output": format!("{check} output, status {status}\n"),
            "state": if status == 0 { "passing" } else { "failing" },
            "status": status,
            "last_ok": 1796399940,
            "occurrences": 2,
            "metadata": {"name": check, "namespace": "default", "labels": labels},
            "is_silenced": false
        },
        "entity": {
            "entity_class": "agent",
            "subscriptions": ["system", format!("entity:{entity}")],
            "metadata": {"name": entity, "namespace": "default"}
        },
        "id": "da53be74-be42-4862-a481-b7e3236e8e6d",
        "metadata": {"namespace": "default"},
        "sequence": 3,
        "timestamp": 1796400066
    })
}
