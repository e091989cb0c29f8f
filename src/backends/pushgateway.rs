//! The Pushgateway, for live drills only: a group of series pushed (`PUT`), listed
//! (`GET /api/v1/metrics`) and deleted (`DELETE`) under its grouping key.

use super::http::{BackendError, Endpoint, encode_segment};
use reqwest::Method;
use std::collections::BTreeMap;

#[derive(Debug, Clone)]
pub struct Pushgateway {
    endpoint: Endpoint,
}

#[derive(serde::Deserialize)]
struct Groups {
    #[serde(default)]
    data: Vec<Group>,
}

#[derive(serde::Deserialize)]
struct Group {
    #[serde(default)]
    labels: BTreeMap<String, String>,
}

impl Pushgateway {
    pub fn new(endpoint: Endpoint) -> Pushgateway {
        Pushgateway { endpoint }
    }

    /// `metrics/job/JOB/NAME/VALUE/…`: the group's path.
    fn path(grouping: &[(&str, &str)]) -> String {
        let mut p = String::from("metrics");
        for (k, v) in grouping {
            p.push('/');
            p.push_str(&encode_segment(k));
            p.push('/');
            p.push_str(&encode_segment(v));
        }
        p
    }

    /// Replaces the group's series with `text` (the exposition format). `grouping` starts
    /// with `("job", …)`.
    pub async fn push(&self, grouping: &[(&str, &str)], text: &str) -> Result<(), BackendError> {
        let req = self
            .endpoint
            .request(Method::PUT, &Self::path(grouping))
            .header("content-type", "text/plain; version=0.0.4")
            .body(text.to_string());
        self.endpoint.send_ok(req).await.map(|_| ())
    }

    /// Deletes the group and every series in it.
    pub async fn delete(&self, grouping: &[(&str, &str)]) -> Result<(), BackendError> {
        let req = self.endpoint.request(Method::DELETE, &Self::path(grouping));
        self.endpoint.send_ok(req).await.map(|_| ())
    }

    /// The grouping keys of every group it holds.
    pub async fn groups(&self) -> Result<Vec<BTreeMap<String, String>>, BackendError> {
        let req = self.endpoint.request(Method::GET, "api/v1/metrics");
        let g: Groups = self.endpoint.json(req).await?;
        Ok(g.data.into_iter().map(|g| g.labels).collect())
    }
}
