//! AWS credentials, found the way the AWS tools find them: a profile named in the config
//! (`[cloudwatch] profile`) from the shared credentials file; otherwise `AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`; otherwise the profile `AWS_PROFILE` names
//! (or `default`) from that file. The file is `AWS_SHARED_CREDENTIALS_FILE`, or
//! `~/.aws/credentials`. The secret key and the session token are remembered as secrets
//! (never shown, never in an error) and left out of `Debug`.

use std::path::PathBuf;

/// An access key and its secret, with a session token for temporary credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct AwsCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl std::fmt::Debug for AwsCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"[redacted]")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

impl AwsCredentials {
    /// The credentials for `profile` (from `[cloudwatch] profile`), from this process's
    /// environment and files.
    pub fn resolve(profile: Option<&str>) -> Result<AwsCredentials, String> {
        resolve_with(profile, &|name| std::env::var(name).ok())
    }

    fn remembered(self) -> AwsCredentials {
        crate::config::secrets::remember(&self.secret_access_key);
        if let Some(t) = &self.session_token {
            crate::config::secrets::remember(t);
        }
        self
    }
}

/// [`AwsCredentials::resolve`] with the environment given as a function (for tests).
pub fn resolve_with(
    profile: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<AwsCredentials, String> {
    let var = |name: &str| {
        env(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let file = var("AWS_SHARED_CREDENTIALS_FILE")
        .map(PathBuf::from)
        .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".aws").join("credentials")));
    if let Some(profile) = profile {
        return from_file(file, profile);
    }
    match (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
        (Some(access_key_id), Some(secret_access_key)) => Ok(AwsCredentials {
            access_key_id,
            secret_access_key,
            session_token: var("AWS_SESSION_TOKEN"),
        }
        .remembered()),
        (Some(_), None) => Err("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not".into()),
        _ => {
            let profile = var("AWS_PROFILE").unwrap_or_else(|| "default".into());
            from_file(file, &profile).map_err(|e| {
                format!(
                    "no AWS credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set, and {e}"
                )
            })
        }
    }
}

fn from_file(file: Option<PathBuf>, profile: &str) -> Result<AwsCredentials, String> {
    let path = file.ok_or("the shared credentials file cannot be found (HOME is not set)")?;
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let keys = profile_keys(&text, profile)
        .ok_or_else(|| format!("{} has no profile [{profile}]", path.display()))?;
    let get = |k: &str| {
        keys.iter()
            .rev()
            .find(|(name, _)| name == k)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    };
    match (get("aws_access_key_id"), get("aws_secret_access_key")) {
        (Some(access_key_id), Some(secret_access_key)) => Ok(AwsCredentials {
            access_key_id,
            secret_access_key,
            session_token: get("aws_session_token"),
        }
        .remembered()),
        _ => Err(format!(
            "profile [{profile}] in {} lacks aws_access_key_id or aws_secret_access_key",
            path.display()
        )),
    }
}

/// The `key = value` lines of section `[profile]` of an INI text (keys lower-cased; `#` and
/// `;` start comments), or `None` when there is no such section.
fn profile_keys(text: &str, profile: &str) -> Option<Vec<(String, String)>> {
    let mut found = None::<Vec<(String, String)>>;
    let mut inside = false;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            inside = name.trim() == profile;
            if inside {
                found.get_or_insert_with(Vec::new);
            }
            continue;
        }
        if inside && let Some((k, v)) = line.split_once('=') {
            found
                .get_or_insert_with(Vec::new)
                .push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn the_environment_then_a_named_profile_then_the_default_profile() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("credentials");
        std::fs::write(
            &file,
            "# keys\n[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = defaultsecret\n\n\
             [ops]\nAWS_ACCESS_KEY_ID=AKIDOPS\naws_secret_access_key = opssecret ; not a comment\naws_session_token = opstoken\n",
        )
        .unwrap();
        let f = file.to_str().unwrap();
        let from_env = resolve_with(
            None,
            &env(&[
                ("AWS_SHARED_CREDENTIALS_FILE", f),
                ("AWS_ACCESS_KEY_ID", "AKIDENV"),
                ("AWS_SECRET_ACCESS_KEY", "envsecret"),
                ("AWS_SESSION_TOKEN", "envtoken"),
            ]),
        )
        .unwrap();
        assert_eq!(from_env.access_key_id, "AKIDENV");
        assert_eq!(from_env.session_token.as_deref(), Some("envtoken"));
        // A profile named in the config wins over the environment.
        let ops = resolve_with(
            Some("ops"),
            &env(&[
                ("AWS_SHARED_CREDENTIALS_FILE", f),
                ("AWS_ACCESS_KEY_ID", "AKIDENV"),
                ("AWS_SECRET_ACCESS_KEY", "envsecret"),
            ]),
        )
        .unwrap();
        assert_eq!(ops.access_key_id, "AKIDOPS");
        assert_eq!(ops.secret_access_key, "opssecret ; not a comment");
        assert_eq!(ops.session_token.as_deref(), Some("opstoken"));
        let default = resolve_with(None, &env(&[("AWS_SHARED_CREDENTIALS_FILE", f)])).unwrap();
        assert_eq!(default.access_key_id, "AKIDDEFAULT");
        assert_eq!(default.session_token, None);
        // ~/.aws/credentials when the variable is not set.
        std::fs::create_dir(dir.path().join(".aws")).unwrap();
        std::fs::copy(&file, dir.path().join(".aws/credentials")).unwrap();
        let home = resolve_with(
            None,
            &env(&[
                ("HOME", dir.path().to_str().unwrap()),
                ("AWS_PROFILE", "ops"),
            ]),
        )
        .unwrap();
        assert_eq!(home.access_key_id, "AKIDOPS");
    }

    #[test]
    fn missing_credentials_are_named_and_no_secret_shows_in_debug() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("credentials");
        std::fs::write(&file, "[ops]\naws_access_key_id = AKIDOPS\n").unwrap();
        let f = file.to_str().unwrap();
        let e = resolve_with(Some("ops"), &env(&[("AWS_SHARED_CREDENTIALS_FILE", f)])).unwrap_err();
        assert!(
            e.contains("lacks aws_access_key_id or aws_secret_access_key"),
            "{e}"
        );
        let e =
            resolve_with(Some("prod"), &env(&[("AWS_SHARED_CREDENTIALS_FILE", f)])).unwrap_err();
        assert!(e.contains("has no profile [prod]"), "{e}");
        let e = resolve_with(None, &env(&[])).unwrap_err();
        assert!(e.starts_with("no AWS credentials"), "{e}");
        let e = resolve_with(None, &env(&[("AWS_ACCESS_KEY_ID", "AKID")])).unwrap_err();
        assert!(e.contains("AWS_SECRET_ACCESS_KEY is not"), "{e}");
        let c = AwsCredentials {
            access_key_id: "AKID".into(),
            secret_access_key: "topsecretkey".into(),
            session_token: Some("topsecrettoken".into()),
        };
        let shown = format!("{c:?}");
        assert!(!shown.contains("topsecret"), "{shown}");
    }
}
