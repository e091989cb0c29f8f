//! warroom's SigV4 signing (the signer every CloudWatch request goes through) against AWS's
//! published Signature Version 4 test vectors, vendored under tests/fixtures/sigv4/ (their
//! origin is in ORIGIN.md there): the same request, credentials, region, service and time
//! give the very `Authorization` header AWS published.

use std::path::Path;
use std::time::{Duration, SystemTime};
use warroom::backends::cloudwatch::AwsCredentials;
use warroom::backends::cloudwatch::sign::{Scope, signature_headers};

const ACCESS_KEY: &str = "AKIDEXAMPLE";
const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
/// 2015-08-30T12:36:00Z, the suite's signing time.
const SIGNED_AT: u64 = 1_440_938_160;

/// A vector's request: method, URL, headers other than `Host` and `X-Amz-Date` (the signer
/// takes the host from the URL and adds the date itself), body.
struct Vector {
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    authorization: String,
}

fn vector(name: &str) -> Vector {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/sigv4")
        .join(name);
    let req = std::fs::read_to_string(dir.join(format!("{name}.req"))).unwrap();
    let authorization = std::fs::read_to_string(dir.join(format!("{name}.authz")))
        .unwrap()
        .trim_end()
        .to_string();
    let (head, body) = req.split_once("\n\n").unwrap_or((&req, ""));
    let mut lines = head.lines();
    let request_line: Vec<&str> = lines.next().unwrap().split(' ').collect();
    let mut host = String::new();
    let mut headers = Vec::new();
    for line in lines {
        let (k, v) = line.split_once(':').unwrap();
        match k.to_ascii_lowercase().as_str() {
            "host" => host = v.trim().to_string(),
            "x-amz-date" => {}
            _ => headers.push((k.to_string(), v.trim().to_string())),
        }
    }
    Vector {
        method: request_line[0].to_string(),
        url: format!("https://{host}{}", request_line[1]),
        headers,
        body: body.as_bytes().to_vec(),
        authorization,
    }
}

fn sign(v: &Vector, session_token: Option<&str>) -> Vec<(String, String)> {
    let credentials = AwsCredentials {
        access_key_id: ACCESS_KEY.into(),
        secret_access_key: SECRET_KEY.into(),
        session_token: session_token.map(str::to_string),
    };
    let headers: Vec<(&str, &str)> = v
        .headers
        .iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case("x-amz-security-token"))
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    signature_headers(
        &v.method,
        &v.url,
        &headers,
        &v.body,
        Scope {
            service: "service",
            region: "us-east-1",
            credentials: &credentials,
            time: SystemTime::UNIX_EPOCH + Duration::from_secs(SIGNED_AT),
        },
    )
    .unwrap()
}

fn header<'a>(signed: &'a [(String, String)], name: &str) -> Option<&'a str> {
    signed
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

#[test]
fn signing_matches_the_published_vectors() {
    for name in [
        "get-vanilla",
        "get-vanilla-query-order-key-case",
        "post-x-www-form-urlencoded",
    ] {
        let v = vector(name);
        let signed = sign(&v, None);
        assert_eq!(
            header(&signed, "authorization"),
            Some(v.authorization.as_str()),
            "{name}"
        );
        assert_eq!(
            header(&signed, "x-amz-date"),
            Some("20150830T123600Z"),
            "{name}"
        );
        assert_eq!(header(&signed, "x-amz-security-token"), None, "{name}");
    }
}

#[test]
fn a_session_token_is_signed_and_sent() {
    let v = vector("post-sts-header-before");
    let token = v
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("x-amz-security-token"))
        .map(|(_, t)| t.clone())
        .unwrap();
    let signed = sign(&v, Some(&token));
    assert_eq!(
        header(&signed, "authorization"),
        Some(v.authorization.as_str())
    );
    assert_eq!(
        header(&signed, "x-amz-security-token"),
        Some(token.as_str())
    );
}

#[test]
fn another_secret_region_or_body_gives_another_signature() {
    let v = vector("post-x-www-form-urlencoded");
    let good = sign(&v, None);
    let mut other = vector("post-x-www-form-urlencoded");
    other.body = b"Param1=value2".to_vec();
    assert_ne!(
        header(&sign(&other, None), "authorization"),
        header(&good, "authorization")
    );
    let credentials = AwsCredentials {
        access_key_id: ACCESS_KEY.into(),
        secret_access_key: "another-secret-key".into(),
        session_token: None,
    };
    let headers: Vec<(&str, &str)> = v
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    for (region, creds) in [("eu-west-1", None), ("us-east-1", Some(&credentials))] {
        let fallback = AwsCredentials {
            access_key_id: ACCESS_KEY.into(),
            secret_access_key: SECRET_KEY.into(),
            session_token: None,
        };
        let signed = signature_headers(
            "POST",
            &v.url,
            &headers,
            &v.body,
            Scope {
                service: "service",
                region,
                credentials: creds.unwrap_or(&fallback),
                time: SystemTime::UNIX_EPOCH + Duration::from_secs(SIGNED_AT),
            },
        )
        .unwrap();
        assert_ne!(
            header(&signed, "authorization"),
            header(&good, "authorization"),
            "{region}"
        );
    }
}
