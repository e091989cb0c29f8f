//! Grafana-managed alerts, read through Grafana's Alertmanager-compatible API
//! (`{url}/api/alertmanager/grafana/api/v2/...`) and Prometheus-compatible API
//! (`{url}/api/prometheus/grafana/api/v1/...`): the two clients of this module's siblings
//! with `Authorization: Bearer <token>` and, when given, `X-Grafana-Org-Id`.

use super::alertmanager::{AlertFilter, Alertmanager};
use super::http::{BackendError, Endpoint, check_url, null_default};
use super::prometheus::Prometheus;
use crate::domain::Alert;
use reqwest::Method;
use serde::Deserialize;
use std::time::Duration;

/// Where Grafana serves its Alertmanager-compatible API, under its root URL.
pub const ALERTMANAGER_PREFIX: &str = "api/alertmanager/grafana";
/// Where Grafana serves its Prometheus-compatible rules and alerts API.
pub const PROMETHEUS_PREFIX: &str = "api/prometheus/grafana";

/// A Grafana instance: its root URL, a service-account token, an optional organisation.
#[derive(Debug, Clone)]
pub struct Grafana {
    root: Endpoint,
    alertmanager: Alertmanager,
    prometheus: Prometheus,
}

impl Grafana {
    /// `url` is Grafana's root (`https://grafana.example`, or with a sub-path if Grafana is
    /// served under one). `token` is sent as a bearer token; `org_id` as `X-Grafana-Org-Id`.
    pub fn new(
        client: reqwest::Client,
        url: &str,
        token: &str,
        org_id: Option<u64>,
        timeout: Duration,
    ) -> Result<Grafana, BackendError> {
        let root = check_url(url)?;
        let endpoint = |base: String| -> Result<Endpoint, BackendError> {
            let mut e = Endpoint::new(client.clone(), &base, timeout)?.with_bearer(token)?;
            if let Some(org) = org_id {
                e = e.with_header("X-Grafana-Org-Id", &org.to_string())?;
            }
            Ok(e)
        };
        Ok(Grafana {
            alertmanager: Alertmanager::new(endpoint(format!("{root}/{ALERTMANAGER_PREFIX}"))?),
            prometheus: Prometheus::new(endpoint(format!("{root}/{PROMETHEUS_PREFIX}"))?),
            root: endpoint(root)?,
        })
    }

    /// The Alertmanager-compatible client: alerts, groups, silences of Grafana-managed alerts.
    pub fn alertmanager(&self) -> &Alertmanager {
        &self.alertmanager
    }

    /// The Prometheus-compatible client: Grafana-managed rules and their pending alerts.
    pub fn prometheus(&self) -> &Prometheus {
        &self.prometheus
    }

    /// Grafana-managed alerts, as its Alertmanager lists them.
    pub async fn alerts(&self, filter: &AlertFilter) -> Result<Vec<Alert>, BackendError> {
        self.alertmanager.alerts(filter).await
    }

    /// `GET /api/health`: Grafana's version (needs no token; probes reachability only).
    pub async fn version(&self) -> Result<String, BackendError> {
        #[derive(Deserialize)]
        struct Health {
            #[serde(default, deserialize_with = "null_default")]
            version: String,
        }
        let req = self.root.request(Method::GET, "api/health");
        let h: Health = self.root.json(req).await?;
        Ok(h.version)
    }
}
