//! Signature Version 4 for the requests warroom sends to AWS, through the `aws-sigv4` crate
//! (the signer alone, not the SDK). The signature covers the method, the path, the query, the
//! headers given (and `host`, from the URL) and the body's SHA-256; checked against AWS's
//! published test vectors in `tests/cloudwatch_sigv4.rs`.

use super::credentials::AwsCredentials;
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use std::time::SystemTime;

/// What a request is signed for: the service's signing name (`monitoring` for CloudWatch),
/// its region, the credentials and the signing time.
#[derive(Clone, Copy)]
pub struct Scope<'a> {
    pub service: &'a str,
    pub region: &'a str,
    pub credentials: &'a AwsCredentials,
    pub time: SystemTime,
}

/// The headers to add to a request so it carries its signature: `x-amz-date`,
/// `authorization`, and `x-amz-security-token` with session credentials. `url` is the full,
/// already percent-encoded URL; `headers` the ones sent that should be signed (never `host`,
/// which comes from the URL). The `authorization` value is remembered as a secret.
pub fn signature_headers(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    scope: Scope<'_>,
) -> Result<Vec<(String, String)>, String> {
    let c = scope.credentials;
    let identity = Credentials::new(
        c.access_key_id.clone(),
        c.secret_access_key.clone(),
        c.session_token.clone(),
        None,
        "warroom",
    )
    .into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(scope.region)
        .name(scope.service)
        .time(scope.time)
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| format!("cannot sign the request: {e}"))?
        .into();
    let request = SignableRequest::new(
        method,
        url,
        headers.iter().copied(),
        SignableBody::Bytes(body),
    )
    .map_err(|e| format!("cannot sign the request: {e}"))?;
    let (instructions, _signature) = sign(request, &params)
        .map_err(|e| format!("cannot sign the request: {e}"))?
        .into_parts();
    let (headers, _params) = instructions.into_parts();
    Ok(headers
        .into_iter()
        .map(|h| {
            if h.sensitive() || h.name().eq_ignore_ascii_case("authorization") {
                crate::config::secrets::remember(h.value());
            }
            (h.name().to_string(), h.value().to_string())
        })
        .collect())
}
